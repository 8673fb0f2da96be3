/** The operator's entry point: configuration from the environment, then run until SIGTERM. */
import { loadConfig } from './config.ts';
import { Operator } from './operator.ts';

let config: ReturnType<typeof loadConfig>;
try {
  config = loadConfig(process.env);
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}

const operator = new Operator(config);
let stopping = false;
const shutdown = async (signal: string) => {
  if (stopping) return;
  stopping = true;
  operator.log.info({ signal }, 'shutting down');
  await operator.stop();
  process.exit(0);
};
process.on('SIGTERM', () => void shutdown('SIGTERM'));
process.on('SIGINT', () => void shutdown('SIGINT'));
operator.onLostLeadership = () => {
  // As client-go does: a replica that lost the lease exits, and starts again from a clean state.
  operator.log.error('lost the lease; exiting');
  process.exit(1);
};
await operator.start();
