/** identity: users for teachers (from teachers.events, exactly once), activation, login and JWKS, in one process. */
import { runService } from '../../lib/run-service.ts';
import { identityConfig } from './config.ts';
import { startIdentity } from './service.ts';

await runService({ name: 'identity', config: identityConfig, start: startIdentity });
