import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../../shared/versions.ts';

/** Where a running `make dev` tells other commands (make load) how to reach it. */
export const devStateFile = join(repoRoot, '.eventide/dev.json');

export interface DevState {
  catalogUrl: string;
  searchUrl: string;
  paymentsUrl: string;
  identityUrl: string;
  kubeconfig: string;
  kubectl: string;
  kafkaBrokers: string;
  elasticsearchUrl: string;
  databaseUrl: string;
  logDir: string;
}

export function readDevState(): DevState {
  if (!existsSync(devStateFile))
    throw new Error(`no platform is running here (${devStateFile} is missing): start it with 'make dev' first`);
  return JSON.parse(readFileSync(devStateFile, 'utf8')) as DevState;
}
