/**
 * A vitest reporter that ends a failed run with one short line per failure (file, test, the error's
 * first lines). CI keeps only the tail of a long run's output, and the default reporter prints an
 * error's message far above its summary: this puts the reason where it is kept.
 */

import { relative } from 'node:path';
import type { Reporter, SerializedError, TestModule } from 'vitest/node';

const maxFailures = 8;
const maxChars = 240;

/** The first lines of an error's message, on one line, cut to maxChars. */
export function summarize(error: Pick<SerializedError, 'message' | 'name'> | undefined): string {
  const message = (error?.message ?? String(error))
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
    .slice(0, 3)
    .join(' ⏎ ');
  const text = error?.name && error.name !== 'Error' ? `${error.name}: ${message}` : message;
  return text.length > maxChars ? `${text.slice(0, maxChars - 1)}…` : text;
}

/** Every failure of a run as "where: why", module-level errors (a failed beforeAll) first. */
export function failures(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>, root: string): string[] {
  const lines: string[] = [];
  for (const module of modules) {
    const file = relative(root, module.moduleId);
    for (const error of module.errors()) lines.push(`${file}: ${summarize(error)}`);
    for (const test of module.children.allTests('failed')) {
      lines.push(`${file} › ${test.fullName}: ${summarize(test.result().errors?.[0])}`);
    }
  }
  for (const error of unhandled) lines.push(`unhandled: ${summarize(error)}`);
  return lines;
}

export default class FailureDigest implements Reporter {
  onTestRunEnd(modules: ReadonlyArray<TestModule>, unhandled: ReadonlyArray<SerializedError>): void {
    const lines = failures(modules, unhandled, process.cwd());
    if (lines.length === 0) return;
    const shown = lines.slice(0, maxFailures);
    const more = lines.length - shown.length;
    process.stdout.write(
      `\n== failures (${lines.length})\n${shown.map((line) => `  ✗ ${line}`).join('\n')}${more > 0 ? `\n  … and ${more} more above` : ''}\n`,
    );
  }
}
