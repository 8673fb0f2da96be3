/**
 * A page's script as one ES module for the browser, built by esbuild from TypeScript: by
 * `scripts/bundle.ts` into the image beside the program, or by the program itself when it runs from
 * source (local mode, tests). Stylesheets import as text, so one file carries the whole page.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { BuildOptions } from 'esbuild';

export const browserBuildOptions: BuildOptions = {
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  minify: true,
  legalComments: 'none',
  loader: { '.css': 'text' },
  logLevel: 'warning',
};

/** The prebuilt bundle when it exists (the image), else `entry` built now (esbuild is a build-time dependency). */
export async function browserBundle(prebuilt: string, entry: string): Promise<string> {
  if (existsSync(prebuilt)) return readFileSync(prebuilt, 'utf8');
  const { build } = await import('esbuild');
  const result = await build({ ...browserBuildOptions, entryPoints: [entry], write: false });
  const [output] = result.outputFiles ?? [];
  if (!output) throw new Error(`esbuild wrote nothing for ${entry}`);
  return output.text;
}
