/**
 * Bundles each entry point of an image into one ESM file with its dependencies, so the runtime
 * image holds bundles and no node_modules:  node scripts/bundle.ts <image> <outdir>
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { platformImages } from '../cdk8s/images.ts';
import { browserBuildOptions } from '../lib/browser-bundle.ts';

/** One entry point → one ESM bundle with its dependencies (node_modules as installed, patches applied). */
export async function bundleEntry(entry: string, outfile: string): Promise<void> {
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node24',
    format: 'esm',
    sourcemap: 'linked',
    legalComments: 'none',
    // CommonJS dependencies (kafkajs, pg) call require(); give the ESM bundle one.
    banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
    logLevel: 'warning',
    // Only a program run from source builds its page's script (lib/browser-bundle.ts); the image has it prebuilt.
    external: ['esbuild'],
  });
}

/** An entry under a `ui/` folder is a page's script: bundled for the browser (lib/browser-bundle.ts). */
export const isBrowserEntry = (entry: string): boolean => /(^|\/)ui\//.test(entry);

export async function bundle(image: string, outdir: string, images = platformImages()): Promise<string[]> {
  const entries = images[image];
  if (!entries) throw new Error(`unknown image '${image}' (known: ${Object.keys(images).join(', ')})`);
  const root = resolve(import.meta.dirname, '..');
  const written: string[] = [];
  for (const [file, entry] of Object.entries(entries)) {
    if (!existsSync(join(root, entry))) throw new Error(`image ${image}: entry point ${entry} does not exist`);
    if (isBrowserEntry(entry)) await build({ ...browserBuildOptions, entryPoints: [join(root, entry)], outfile: join(outdir, file) });
    else await bundleEntry(join(root, entry), join(outdir, file));
    written.push(join(outdir, file));
  }
  return written;
}

if (import.meta.main) {
  const [image, outdir] = process.argv.slice(2);
  if (!image || !outdir) {
    console.error('usage: node scripts/bundle.ts <image> <outdir>');
    process.exit(2);
  }
  for (const file of await bundle(image, outdir)) console.log(`bundled ${file}`);
}
