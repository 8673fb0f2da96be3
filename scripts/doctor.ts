/**
 * `make doctor`, and the first step of `make kind-up` and `make deploy`: gathers what the checks in
 * scripts/doctor/checks.ts judge, prints one line each, and exits 1 when one blocks.
 *
 *   node scripts/doctor.ts [--profile kind|production] [--context NAME] [--before kind-up|deploy]
 *
 * --before kind-up: Docker, kind, kubectl, Docker's CPUs and memory, disk (kind profile).
 * --before deploy: kubectl, the context and its cluster, Strimzi's CRDs; production also the
 * default StorageClass and vm.max_map_count. Without --before: all of them, a missing kind
 * context only a warning. kubectl is $KUBECTL or "kubectl"; the kubeconfig is kubectl's own.
 */
import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, statfsSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { parse, parseAllDocuments } from 'yaml';
import { repoRoot, versions } from '../shared/versions.ts';
import {
  type ContextState,
  checkCapacity,
  checkContext,
  checkDefaultStorageClass,
  checkDisk,
  checkDocker,
  checkKind,
  checkKubectl,
  checkMaxMapCount,
  checkStrimziCrds,
  dockerInfo,
  type Finding,
  report,
  type ToolRun,
} from './doctor/checks.ts';
import { type ChartObject, kindClusterParts, laptop } from './doctor/requests.ts';

const exec = promisify(execFile);

async function tool(command: string, args: string[]): Promise<ToolRun> {
  try {
    return { stdout: (await exec(command, args, { timeout: 30_000, maxBuffer: 16 * 1024 * 1024 })).stdout };
  } catch (error) {
    const e = error as { code?: string; stderr?: string; message: string };
    if (e.code === 'ENOENT') return { missing: true };
    return { error: e.stderr?.trim() || e.message };
  }
}

const text = (run: ToolRun) => ('stdout' in run ? run.stdout : '');

function chartObjects(profile: string): ChartObject[] {
  const dir = join(repoRoot, 'charts', profile);
  return readdirSync(dir)
    .filter((f) => f.endsWith('.yaml'))
    .flatMap((f) => parseAllDocuments(readFileSync(join(dir, f), 'utf8')).map((d) => d.toJS() as ChartObject | null))
    .filter((o): o is ChartObject => o !== null);
}

const kindNode = (): string =>
  (parse(readFileSync(join(repoRoot, 'deploy/kind-cluster.yaml'), 'utf8')) as { nodes: { image: string }[] }).nodes[0]?.image ?? '';

const kubectl = process.env.KUBECTL ?? 'kubectl';

/** Docker, kind, and what Docker gives the kind cluster. */
async function dockerAndKind(): Promise<Finding[]> {
  const [docker, kind] = await Promise.all([tool('docker', ['info', '--format', '{{json .}}']), tool('kind', ['version'])]);
  const findings = [checkDocker(docker), checkKind(kind, versions.kind, kindNode())];
  const info = dockerInfo(text(docker));
  if (findings[0]?.level === 'ok' && info) {
    findings.push(checkCapacity(info, kindClusterParts(chartObjects('kind')), laptop));
    // Docker's own disk where it is on this machine (Linux); elsewhere (a VM) the repository's,
    // where `make images` writes the image archives.
    const where = info.DockerRootDir && existsSync(info.DockerRootDir) ? info.DockerRootDir : repoRoot;
    const fs = statfsSync(where);
    findings.push(checkDisk(fs.bavail * fs.bsize, where));
  }
  return findings;
}

/** The cluster the context points at, and what the profile needs of it before the chart is applied. */
async function cluster(profile: string, context: string, required: boolean): Promise<Finding[]> {
  const on = (...args: string[]) => tool(kubectl, ['--context', context, '--request-timeout=10s', ...args]);
  const findings: Finding[] = [];
  const contexts = text(await tool(kubectl, ['config', 'get-contexts', '-o', 'name']))
    .split('\n')
    .filter(Boolean);
  const current = text(await tool(kubectl, ['config', 'current-context'])).trim() || undefined;
  const served = contexts.includes(context) ? await on('version', '-o', 'json') : { error: 'no such context' };
  const version = (JSON.parse(text(served) || '{}') as { serverVersion?: { gitVersion: string } }).serverVersion?.gitVersion;
  const state: ContextState = {
    wanted: context,
    contexts,
    current,
    server: version ? { version } : { error: 'error' in served ? served.error : 'no server version' },
  };
  const reached = checkContext(state, versions.kubernetes, required);
  findings.push(reached);
  if (reached.level === 'block' || !version) return findings;
  findings.push(checkStrimziCrds('stdout' in (await on('get', 'crd', 'kafkas.kafka.strimzi.io', '-o', 'name')), versions.strimzi));
  if (profile === 'production') {
    const classes = JSON.parse(text(await on('get', 'storageclass', '-o', 'json')) || '{"items":[]}') as {
      items: { metadata: { name: string; annotations?: Record<string, string> } }[];
    };
    findings.push(
      checkDefaultStorageClass(
        classes.items.map((c) => ({
          name: c.metadata.name,
          isDefault: c.metadata.annotations?.['storageclass.kubernetes.io/is-default-class'] === 'true',
        })),
      ),
    );
    const maxMapCount = existsSync('/proc/sys/vm/max_map_count') ? Number(readFileSync('/proc/sys/vm/max_map_count', 'utf8')) : undefined;
    findings.push(checkMaxMapCount(maxMapCount));
  }
  return findings;
}

if (import.meta.main) {
  const { values } = parseArgs({
    options: { profile: { type: 'string', default: 'kind' }, context: { type: 'string' }, before: { type: 'string' } },
  });
  const { profile, before } = values;
  if ((profile !== 'kind' && profile !== 'production') || ![undefined, 'kind-up', 'deploy'].includes(before)) {
    console.error('usage: node scripts/doctor.ts [--profile kind|production] [--context NAME] [--before kind-up|deploy]');
    process.exit(2);
  }
  const context = values.context ?? process.env.KUBECONTEXT ?? 'kind-eventide';
  const findings = [
    ...(profile === 'kind' && before !== 'deploy' ? await dockerAndKind() : []),
    checkKubectl(await tool(kubectl, ['version', '--client', '-o', 'json']), versions.kubernetes),
    // Before kind-up there is no cluster yet; a plain doctor on kind only notes a missing one.
    ...(before === 'kind-up' ? [] : await cluster(profile, context, before === 'deploy' || profile === 'production')),
  ];
  const { text: lines, blocked } = report(findings);
  console.log(lines);
  if (blocked) {
    console.error(
      `doctor: what is marked BLOCK above would make ${before ? `\`make ${before}\`` : 'the next step'} fail; fix it and run again`,
    );
    process.exit(1);
  }
}
