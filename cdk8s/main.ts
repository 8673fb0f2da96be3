/** Synthesizes charts/<profile>/ for every profile: `npm run synth` (or `make synth`). */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../shared/versions.ts';
import { platformApp } from './platform.ts';
import { profiles } from './profile.ts';

for (const profile of Object.values(profiles)) {
  const outdir = join(repoRoot, 'charts', profile.name);
  rmSync(outdir, { recursive: true, force: true });
  platformApp(profile, outdir).synth();
  console.log(`synthesized ${profile.name} into charts/${profile.name}/`);
}
