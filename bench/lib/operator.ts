import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Launched, launch } from '../../devkit/process.ts';
import { repoRoot } from '../../shared/versions.ts';

export interface OperatorProcessOptions {
  kubeconfig: string;
  brokers: string;
  /** A checkout to run the operator from (another commit, for a before/after); default this one. */
  root?: string;
  /** Settings beside the defaults (PORT, RESYNC_SECONDS, …). */
  env?: NodeJS.ProcessEnv;
}

/**
 * The operator as its own process, the way it runs in a cluster (its image's bundle, built from
 * `root` by that checkout's own bundler), for a benchmark.
 */
export function startOperatorProcess({ kubeconfig, brokers, root = repoRoot, env = {} }: OperatorProcessOptions): Launched {
  const dir = mkdtempSync(join(tmpdir(), 'eventide-bench-'));
  execFileSync(process.execPath, [join(root, 'scripts/bundle.ts'), 'operator', dir], { cwd: root, stdio: 'ignore' });
  return launch({
    name: 'operator',
    command: process.execPath,
    args: [join(dir, 'operator.js')],
    cwd: root,
    logFile: join(dir, 'operator.log'),
    env: { ...process.env, KUBECONFIG: kubeconfig, KAFKA_BROKERS: brokers, POD_NAME: 'bench', PORT: '0', LOG_LEVEL: 'warn', ...env },
  });
}
