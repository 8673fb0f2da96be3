/** payments: merchants, payments and withdrawals, published through the outbox; settles what the ledger approves. */
import { runService } from '../../lib/run-service.ts';
import { paymentsConfig } from './config.ts';
import { startPayments } from './service.ts';

await runService({ name: 'payments', config: paymentsConfig, start: startPayments });
