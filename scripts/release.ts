/**
 * `make release`: a profile's chart as the two files a release carries, for a person without this
 * repository (as Strimzi and KEDA ship theirs):
 *
 * - `eventide-<profile>.yaml`: the CRDs, the operator and the platform — one
 *   `kubectl apply --server-side -f`. It holds no resource of its own CRDs: a Topic in the same
 *   file as its CRD fails on the first apply ("ensure CRDs are installed first"), since kubectl
 *   maps every kind before the CRD is established.
 * - `eventide-<profile>-resources.yaml`: the platform's Topics and ConsumerGroups, applied once the
 *   CRDs are established.
 *
 * Strimzi's CRDs and operator come from Strimzi's own install file, as `make kind-up` applies it.
 *
 *   node scripts/release.ts [outdir] [charts/<profile> …]     (default: dist/, every committed profile)
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { profiles } from '../cdk8s/profile.ts';
import { repoRoot } from '../shared/versions.ts';
import { chartFiles, chartNamespace } from './deploy.ts';

export interface ReleaseBundle {
  /** CRDs, operator and platform. */
  install: string;
  /** The platform's Topics and ConsumerGroups. */
  resources: string;
}

const documents = (file: string) => readFileSync(file, 'utf8').trimEnd();

/** A profile's release files, from its committed chart directory, each headed by how to apply it. */
export function releaseBundle(chartDir: string): ReleaseBundle {
  const profile = basename(chartDir);
  const { crds, platform, resources } = chartFiles(chartDir);
  const namespace = chartNamespace(chartDir);
  const install = `eventide-${profile}.yaml`;
  const header = (lines: string[]) => `${lines.map((l) => `# ${l}`).join('\n')}\n`;
  return {
    install: `${header([
      `Eventide, profile ${profile}: CRDs, operator and platform in namespace ${namespace}. Needs Strimzi's operator and CRDs.`,
      `  kubectl apply --server-side -f ${install}`,
      '  kubectl wait --for=condition=Established crd/topics.eventide.dev crd/consumergroups.eventide.dev',
      `  kubectl apply --server-side -f eventide-${profile}-resources.yaml`,
      'Uninstall: `make undeploy` in the repository keeps the namespace, its volumes and the Kafka topics; this deletes',
      `the namespace with its volumes:  kubectl delete -f eventide-${profile}-resources.yaml -f ${install}`,
    ])}${documents(crds)}\n---\n${documents(platform)}\n`,
    resources: `${header([
      `Eventide, profile ${profile}: the platform's Topics and ConsumerGroups, applied after ${install} once its CRDs are established.`,
    ])}${documents(resources)}\n`,
  };
}

if (import.meta.main) {
  const [outArg, ...chartArgs] = process.argv.slice(2);
  const outdir = resolve(outArg ?? join(repoRoot, 'dist'));
  const charts =
    chartArgs.length > 0 ? chartArgs.map((c) => resolve(c)) : Object.values(profiles).map((p) => join(repoRoot, 'charts', p.name));
  mkdirSync(outdir, { recursive: true });
  for (const chartDir of charts) {
    const bundle = releaseBundle(chartDir);
    const profile = basename(chartDir);
    writeFileSync(join(outdir, `eventide-${profile}.yaml`), bundle.install);
    writeFileSync(join(outdir, `eventide-${profile}-resources.yaml`), bundle.resources);
    console.log(`release: ${join(outdir, `eventide-${profile}.yaml`)} and eventide-${profile}-resources.yaml`);
  }
}
