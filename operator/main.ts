/** The operator's entry point: configuration from the environment, then run until SIGTERM. */
import { runService } from '../lib/run-service.ts';
import { configSchema, program } from './config.ts';
import { Operator } from './operator.ts';

await runService({
  name: program,
  config: configSchema,
  start: async ({ config, log, exit }) => {
    const operator = new Operator(config, undefined, log);
    operator.onLostLeadership = () => {
      // As client-go does: a replica that lost the lease exits, and starts again from a clean state.
      log.error('lost the lease; exiting');
      exit(1, 'lost the lease');
    };
    // Filling the caches can take long (an API server still starting): the operator is started,
    // and stoppable, as soon as it serves its probes, and a failure later ends it like a watchdog.
    operator.start().catch((error: unknown) => {
      log.fatal({ err: error }, 'could not start');
      exit(1, 'start failed');
    });
    return operator;
  },
});
