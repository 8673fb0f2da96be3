import type { Contract } from '../lib/contracts.ts';
import { catalogContracts } from './catalog/events.ts';
import { identityContracts } from './identity/events.ts';
import { ledgerContracts } from './ledger/events.ts';
import { paymentContracts } from './payments/events.ts';
import { teacherContracts } from './teachers/events.ts';

/** Every event type the platform's services publish; `make contracts` writes their JSON Schemas to contracts/. */
export const platformContracts: readonly Contract[] = [
  ...Object.values(catalogContracts),
  ...Object.values(teacherContracts),
  ...Object.values(identityContracts),
  ...Object.values(paymentContracts),
  ...Object.values(ledgerContracts),
];
