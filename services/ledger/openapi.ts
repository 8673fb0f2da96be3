import { z } from 'zod';
import {
  authProblems,
  bearerSecurityScheme,
  problemComponent,
  problemResponses,
  queryParameters,
  schemaOf,
  secured,
} from '../../lib/http/openapi.ts';
import { currency } from '../payments/money.ts';
import { entriesQuery } from './schema.ts';

/** The merchant id of the document's examples (the contract test gives it books to read). */
export const exampleMerchantId = '7c9e6679-7425-40de-944b-e07fc1f90ae7';

/** What the API answers (ledger.ts balanceOf, and the journal as api.ts reads it). */
const balance = z.strictObject({
  merchantId: z.uuid(),
  currency,
  availableMinor: z.int().min(0).describe('what the merchant may withdraw, in minor units'),
  reservedMinor: z.int().min(0).describe('held for withdrawals approved and not yet paid out'),
});
const entry = z.strictObject({
  id: z.uuid(),
  description: z.string(),
  createdAt: z.iso.datetime(),
  lines: z
    .array(
      z.strictObject({
        account: z
          .string()
          .describe('merchant:<id>:available, merchant:<id>:reserved, or the world outside: external:payments, external:payouts'),
        amountMinor: z.int().describe('positive credits, negative debits; the lines of one entry sum to zero'),
      }),
    )
    .min(2),
});
const entryPage = z.strictObject({
  items: z.array(entry),
  nextCursor: z.string().optional().describe('pass as cursor for the next page; absent on the last page'),
});

/** OpenAPI 3.1 of the ledger's read API, generated from zod schemas. */
export function openApiDocument() {
  const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
  const merchantId = {
    name: 'id',
    in: 'path',
    required: true,
    description: "the merchant id; one that is not a UUID, or (to a merchant's token) another merchant's, answers 404",
    schema: { type: 'string', format: 'uuid', examples: [exampleMerchantId] },
  };
  const reader = secured(
    "the merchant itself (role merchant, merchant_id = id) or a platform-admin; to anyone else the merchant's books do not exist (404)",
  );
  const { 401: unauthorized } = authProblems();
  const unavailable = {
    503: "the database, or identity's signing keys (to verify the token), cannot be reached; retry after Retry-After seconds",
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'Eventide ledger',
      version: '1.0.0',
      description:
        "A merchant's balances and double-entry journal, kept from Kafka topic payments.events (completed payments, and withdrawals by the saga).",
    },
    paths: {
      '/api/v1/merchants/{id}/balance': {
        get: {
          operationId: 'getBalance',
          summary: "A merchant's available and reserved balances",
          ...reader,
          parameters: [merchantId],
          responses: {
            '200': { description: 'the balances', content: json('Balance') },
            ...problemResponses({
              401: unauthorized,
              404: `${merchantId.description}; also a merchant the ledger has no accounts for yet (no completed payment or withdrawal)`,
              ...unavailable,
            }),
          },
        },
      },
      '/api/v1/merchants/{id}/entries': {
        get: {
          operationId: 'listEntries',
          summary: "A merchant's journal entries, oldest first",
          ...reader,
          parameters: [merchantId, ...queryParameters(entriesQuery)],
          responses: {
            '200': { description: 'a page; empty for a merchant the ledger has no entries for', content: json('EntryPage') },
            ...problemResponses({
              400: 'a query parameter the schema refuses, or a cursor this API did not return',
              401: unauthorized,
              404: merchantId.description,
              ...unavailable,
            }),
          },
        },
      },
    },
    components: {
      schemas: {
        Balance: schemaOf(balance, 'output'),
        EntryPage: schemaOf(entryPage, 'output'),
        ...problemComponent,
      },
      securitySchemes: bearerSecurityScheme,
    },
  };
}
