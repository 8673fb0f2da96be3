/** ledger: the double-entry journal and the withdrawal saga, from payments.events. */
import { runService } from '../../lib/run-service.ts';
import { ledgerConfig } from './config.ts';
import { startLedger } from './service.ts';

await runService({ name: 'ledger', config: ledgerConfig, start: startLedger });
