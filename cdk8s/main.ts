/**
 * Synthesizes charts: `npm run synth` (or `make synth`) writes charts/<name>/ for every committed
 * values file (deploy/values/); `make synth VALUES=my.yaml [OUT=dir]` writes one chart for a
 * user's values file, into OUT or charts/<its name>/.
 */
import { rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { repoRoot } from '../shared/versions.ts';
import { platformApp } from './platform.ts';
import { loadProfile, type Profile, profiles } from './profile.ts';
import { ValuesError } from './values.ts';

function synth(profile: Profile, outdir: string): void {
  rmSync(outdir, { recursive: true, force: true });
  platformApp(profile, outdir).synth();
  const shown = relative(process.cwd(), outdir);
  console.log(`synthesized ${profile.name} into ${shown.startsWith('..') ? outdir : shown || '.'}/`);
}

const { VALUES: values, OUT: out } = process.env;
if (out && !values) {
  console.error('OUT needs VALUES: the committed profiles are written to charts/<name>/');
  process.exit(1);
}
try {
  if (values) {
    const profile = loadProfile(resolve(values));
    synth(profile, resolve(out || join(repoRoot, 'charts', profile.name)));
  } else for (const profile of Object.values(profiles)) synth(profile, join(repoRoot, 'charts', profile.name));
} catch (error) {
  if (!(error instanceof ValuesError)) throw error;
  console.error(error.message);
  process.exit(1);
}
