/** teachers: the administrators' API over PostgreSQL, and the outbox relay to teachers.events, in one process. */
import { runService } from '../../lib/run-service.ts';
import { teachersConfig } from './config.ts';
import { startTeachers } from './service.ts';

await runService({ name: 'teachers', config: teachersConfig, start: startTeachers });
