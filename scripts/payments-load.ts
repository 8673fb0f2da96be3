/**
 * `make payments-load`: mixed money movements (payments, completions, withdrawals) against the
 * payments API of a running `make dev` at RATE per second for DURATION seconds, retrying each with
 * its Idempotency-Key; then `make reconcile` should find the books in agreement.
 */

import { KubeConfig } from '@kubernetes/client-node';
import { z } from 'zod';
import { platformCallers } from './local/credentials.ts';
import { type DevState, readDevState } from './local/dev-state.ts';
import { runPaymentsLoad } from './local/payments-load.ts';

const settings = z
  .object({
    RATE: z.coerce.number().positive().max(5_000).default(200),
    DURATION: z.coerce.number().int().positive().max(3600).default(30),
  })
  .safeParse(process.env);
if (!settings.success) {
  console.error(`make payments-load: ${settings.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  process.exit(2);
}
let dev: DevState;
try {
  dev = readDevState();
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const { paymentsUrl, identityUrl } = dev;
const kc = new KubeConfig();
kc.loadFromFile(dev.kubeconfig);
const { RATE, DURATION } = settings.data;
console.log(`payments-load: ${RATE} movements/s for ${DURATION} s against ${paymentsUrl}`);
const result = await runPaymentsLoad({
  paymentsUrl,
  identityUrl,
  callers: platformCallers(kc, identityUrl),
  rate: RATE,
  durationSeconds: DURATION,
});
console.log(
  `payments-load: ${result.ok} movements answered in ${result.seconds.toFixed(1)} s (${(result.ok / result.seconds).toFixed(0)}/s), ` +
    `${result.retried} retries, ${result.gaveUp} unanswered; statuses ${JSON.stringify(result.statuses)}\nnow: make reconcile`,
);
process.exitCode = result.gaveUp > 0 ? 1 : 0;
