/**
 * `make load`: writes through the catalog of a running `make dev` at RATE requests/s for DURATION
 * seconds, shows a live line (rate, errors, catalog p99, lag, indexer replicas), then waits for the
 * replicas to come back down and prints the timeline: load → scale up → drain → scale down.
 */
import { AppsV1Api, CustomObjectsApi, KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { platformCallers } from './local/credentials.ts';
import { readDevState } from './local/dev-state.ts';
import { runLoad } from './local/load-generator.ts';
import { indexerDeployment, namespace } from './local/platform.ts';
import { describeTimeline, ScalingObserver, type ScalingSample, scalingTimeline } from './local/scaling-observer.ts';

const settings = z
  .object({
    RATE: z.coerce.number().positive().max(20_000).default(250),
    DURATION: z.coerce.number().int().positive().max(3600).default(60),
    SETTLE_TIMEOUT: z.coerce.number().int().min(0).max(3600).default(180),
  })
  .safeParse(process.env);
if (!settings.success) {
  console.error(`make load: ${settings.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  process.exit(2);
}
const { RATE, DURATION, SETTLE_TIMEOUT } = settings.data;
let state: ReturnType<typeof readDevState>;
try {
  state = readDevState();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const kc = new KubeConfig();
kc.loadFromFile(state.kubeconfig);
const cg = (await kc.makeApiClient(CustomObjectsApi).getNamespacedCustomObject({
  group: 'eventide.dev',
  version: 'v1alpha1',
  namespace,
  plural: 'consumergroups',
  name: indexerDeployment,
})) as {
  spec: { lagThreshold: number; minReplicas?: number; scaleDownStabilizationSeconds?: number; groupId?: string; topics: string[] };
};
let latest: ScalingSample | undefined;
const observer = new ScalingObserver({
  brokers: state.kafkaBrokers.split(','),
  apps: kc.makeApiClient(AppsV1Api),
  namespace,
  deployment: indexerDeployment,
  groupId: cg.spec.groupId ?? indexerDeployment,
  topic: cg.spec.topics[0] ?? 'catalog.events',
  onSample: (s) => {
    latest = s;
  },
});
observer.start();

const tty = process.stdout.isTTY;
const show = (text: string) => (tty ? process.stdout.write(`\r\x1b[2K${text}`) : console.log(text));
const replicas = () => (latest?.replicas === undefined ? '?' : `${latest.replicas} (${latest.ready ?? 0} ready)`);
console.log(
  `make load: ${RATE} req/s for ${DURATION} s against ${state.catalogUrl} (60% create, 30% update, 10% delete); lag threshold ${cg.spec.lagThreshold}/replica`,
);
const { admin } = platformCallers(kc, state.identityUrl);
await admin(); // a refused login says so now, not as thousands of 401s
const load = await runLoad({ catalogUrl: state.catalogUrl, token: admin, rate: RATE, durationSeconds: DURATION }, (w) =>
  show(
    `t=${String(w.second).padStart(3)} s  rate ${String(w.sent).padStart(5)}/s  errors ${w.errors}  catalog p99 ${w.p99Ms === undefined ? '-' : `${w.p99Ms.toFixed(0)} ms`}  lag ${latest?.lag ?? '?'}  search-indexer replicas ${replicas()}`,
  ),
);
const loadEnd = load.endedAt;
const minReplicas = cg.spec.minReplicas ?? 1;
const settleBy = Date.now() + SETTLE_TIMEOUT * 1000;
while (Date.now() < settleBy && !(latest?.replicas !== undefined && latest.replicas <= minReplicas && (latest.lag ?? 1) === 0)) {
  show(`after the load: lag ${latest?.lag ?? '?'}  search-indexer replicas ${replicas()}  (waiting for the scale-down window)`);
  await new Promise((r) => setTimeout(r, 1_000));
}
await observer.stop();
if (tty) process.stdout.write('\n');

const seconds = (loadEnd - load.startedAt) / 1000;
console.log(`
requests: ${load.sent} sent in ${seconds.toFixed(1)} s (${(load.sent / seconds).toFixed(0)}/s), ${load.ok} ok, ${load.errors} errors${
  load.errors > 0 ? ` ${JSON.stringify(load.errorKinds)}` : ''
}, ${load.shed} shed (over 256 in flight)
           creates ${load.byKind.create}, updates ${load.byKind.update}, deletes ${load.byKind.delete}
catalog latency: p50 ${load.latencyMs?.p50.toFixed(1) ?? '-'} ms, p99 ${load.latencyMs?.p99.toFixed(1) ?? '-'} ms
timeline (lag from Kafka, replicas from the API server):`);
const timeline = scalingTimeline(observer.samples, { start: load.startedAt, end: loadEnd }, { lag: cg.spec.lagThreshold, drainedLag: 0 });
for (const line of describeTimeline(timeline)) console.log(`  ${line}`);
if (timeline.scaledUp === undefined)
  console.log(
    `\nNo scale-up: the lag never needed more than one replica (threshold ${cg.spec.lagThreshold}). Try a higher RATE or a longer DURATION.`,
  );
