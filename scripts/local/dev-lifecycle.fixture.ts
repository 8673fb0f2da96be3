/**
 * `make dev`'s way of ending, without the platform: publishes a state file at DEV_STATE_FILE, prints
 * "up", and then, as FIXTURE says, waits (a stop that takes 100 ms), waits with a stop that never
 * ends ("hang"), or crashes ("crash"). Run by dev-lifecycle.int.test.ts.
 */
import { devLifecycle } from './dev-lifecycle.ts';

const mode = process.env.FIXTURE ?? 'wait';
const lifecycle = devLifecycle({
  stateFile: process.env.DEV_STATE_FILE,
  stop: async () => {
    console.log('stop called');
    await new Promise((r) => (mode === 'hang' ? undefined : setTimeout(r, 100)));
  },
});
lifecycle.publish({
  catalogUrl: 'http://127.0.0.1:1',
  searchUrl: 'http://127.0.0.1:2',
  paymentsUrl: 'http://127.0.0.1:6',
  identityUrl: 'http://127.0.0.1:7',
  kubeconfig: '/dev/null',
  kubectl: 'kubectl',
  kafkaBrokers: '127.0.0.1:3',
  elasticsearchUrl: 'http://127.0.0.1:4',
  databaseUrl: 'postgres://127.0.0.1:5/x',
  logDir: '/tmp',
});
console.log('up');
if (mode === 'crash')
  setTimeout(() => {
    throw new Error('a bug after start-up');
  }, 50);
// Stands in for the running platform's handles, which keep the process alive.
setInterval(() => {}, 1000);
