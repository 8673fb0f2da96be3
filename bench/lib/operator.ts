import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from '../../devkit/paths.ts';
import { type Launched, launch } from '../../devkit/process.ts';

/** The operator as its own process, the way it runs in a cluster, for a benchmark. */
export function startOperatorProcess({ kubeconfig, brokers }: { kubeconfig: string; brokers: string }): Launched {
  return launch({
    name: 'operator',
    command: process.execPath,
    args: [join(repoRoot, 'operator/main.ts')],
    logFile: join(mkdtempSync(join(tmpdir(), 'eventide-bench-')), 'operator.log'),
    env: { ...process.env, KUBECONFIG: kubeconfig, KAFKA_BROKERS: brokers, POD_NAME: 'bench', PORT: '0', LOG_LEVEL: 'warn' },
  });
}
