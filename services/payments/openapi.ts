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
import { amountMinor, currency } from './money.ts';
import { merchantInput, pageQuery, paymentInput, withdrawalInput } from './schema.ts';

/** A merchant, a payment and a withdrawal as clients send them: the document's examples, and the tests' samples. */
export const exampleMerchant = { name: 'Kiosk am Hafen', email: 'kiosk@shop.example', currency: 'EUR' };
export const examplePayment = { amountMinor: 2500, currency: 'EUR' };
export const exampleWithdrawal = { amountMinor: 1000 };

/** The Idempotency-Key header as lib/http/idempotency-key.ts reads it. */
const idempotencyKeyHeader = z.string().min(1).max(200);

/** What the store answers (store.ts merchantOf, paymentOf, withdrawalOf). */
const merchant = z.strictObject({ id: z.uuid(), name: z.string(), email: z.string(), currency, createdAt: z.iso.datetime() });
const payment = z.strictObject({
  id: z.uuid(),
  merchantId: z.uuid(),
  amountMinor,
  currency,
  status: z.enum(['created', 'completed']),
  createdAt: z.iso.datetime(),
  completedAt: z.iso.datetime().optional().describe('present once completed'),
});
const withdrawal = z.strictObject({
  id: z.uuid(),
  merchantId: z.uuid(),
  amountMinor,
  currency: currency.describe("the merchant's currency"),
  status: z
    .enum(['requested', 'approved', 'rejected', 'settled', 'failed'])
    .describe('requested, then decided by the ledger (the saga): settled (paid out), rejected (not covered) or failed'),
  reason: z.string().optional().describe('why it was rejected or failed'),
  createdAt: z.iso.datetime(),
  updatedAt: z.iso.datetime(),
});
const pageOf = (item: z.ZodType) =>
  z.strictObject({
    items: z.array(item),
    nextCursor: z.uuid().optional().describe('pass as cursor for the next page; absent on the last page'),
  });

/** OpenAPI 3.1, generated from the same zod schemas that validate requests; `maxAmountMinor` is the configured limit per movement. */
export function openApiDocument(maxAmountMinor: number) {
  const json = (ref: string) => ({ 'application/json': { schema: { $ref: `#/components/schemas/${ref}` } } });
  const uuidParam = (name: string, description: string) => ({
    name,
    in: 'path',
    required: true,
    description,
    schema: { type: 'string', format: 'uuid' },
  });
  const merchantId = uuidParam(
    'id',
    "the merchant id; an unknown id, one that is not a UUID, or (to a merchant's token) another merchant's answers 404",
  );
  const paymentId = uuidParam('paymentId', "the payment id; an unknown one, or another merchant's, answers 404");
  const withdrawalId = uuidParam('withdrawalId', "the withdrawal id; an unknown one, or another merchant's, answers 404");
  const idempotencyKey = (required: boolean) => ({
    name: 'Idempotency-Key',
    in: 'header',
    required,
    description: `${required ? 'required: ' : ''}a retry with the same key (the caller's own) and the same request gets the first answer and moves nothing; the same key with another request is 422`,
    schema: schemaOf(idempotencyKeyHeader),
  });
  const replayed = {
    'Idempotent-Replayed': {
      description: 'true when this is the answer to an earlier request with the same Idempotency-Key',
      schema: { const: 'true' },
    },
  };
  const { 401: unauthorized } = authProblems();
  const unavailable = {
    503: "the database, or identity's signing keys (to verify the token), cannot be reached; retry after Retry-After seconds",
  };
  const body = {
    400: 'malformed JSON, a body the schema refuses (every field named in errors), or an Idempotency-Key that is missing or not 1 to 200 characters',
    413: 'the body is larger than 8 KiB',
    415: 'the body is not application/json',
    422: 'this Idempotency-Key was used with another request',
  };
  const notFound = { 404: merchantId.description };
  /** A list does not look the merchant up: an unknown one's is empty. */
  const listedMerchant = uuidParam(
    'id',
    "the merchant id; one that is not a UUID, or (to a merchant's token) another merchant's, answers 404; an unknown merchant's list is empty",
  );
  const admin = secured('a platform-admin');
  const adminProblems = authProblems('a role other than platform-admin');
  const ofMerchant = secured(
    'the merchant itself (role merchant, merchant_id = id) or a platform-admin; to anyone else the merchant does not exist (404)',
  );
  /** The new merchant's id for the operations on it; any unique Idempotency-Key will do, the new id is one. */
  const onMerchant = (operationId: string, key = false) => ({
    operationId,
    parameters: { 'path.id': '$response.body#/id', ...(key ? { 'header.Idempotency-Key': '$response.body#/id' } : {}) },
  });
  /** A payment's or withdrawal's ids; completing a payment once per payment, its id is a fitting Idempotency-Key. */
  const onMovement = (operationId: string, param: string, key = false) => ({
    operationId,
    parameters: {
      'path.id': '$response.body#/merchantId',
      [`path.${param}`]: '$response.body#/id',
      ...(key ? { 'header.Idempotency-Key': '$response.body#/id' } : {}),
    },
  });
  const list = (operationId: string, summary: string, page: string) => ({
    operationId,
    summary,
    ...ofMerchant,
    parameters: [listedMerchant, ...queryParameters(pageQuery)],
    responses: {
      '200': { description: 'a page, by id', content: json(page) },
      ...problemResponses({
        400: 'a query parameter the schema refuses (limit 1 to 100, cursor a UUID, no other parameters)',
        401: unauthorized,
        404: listedMerchant.description,
        ...unavailable,
      }),
    },
  });
  const one = (operationId: string, summary: string, item: string, id: object, what: string) => ({
    operationId,
    summary,
    ...ofMerchant,
    parameters: [merchantId, id],
    responses: {
      '200': { description: `the ${what}`, content: json(item) },
      ...problemResponses({
        401: unauthorized,
        404: `no such ${what} of this merchant, or no such merchant (as for the merchant id)`,
        ...unavailable,
      }),
    },
  });
  return {
    openapi: '3.1.0',
    info: {
      title: 'Eventide payments',
      version: '1.0.0',
      description:
        "Merchants, their payments (created, then completed by the payment provider) and withdrawals (requested, then decided by the ledger's saga). Every money movement needs an Idempotency-Key and is published to Kafka topic payments.events.",
    },
    paths: {
      '/api/v1/merchants': {
        post: {
          operationId: 'createMerchant',
          summary: 'Create a merchant',
          ...admin,
          parameters: [idempotencyKey(false)],
          requestBody: { required: true, content: json('MerchantInput') },
          responses: {
            '201': {
              description: 'created',
              headers: replayed,
              content: json('Merchant'),
              links: {
                get: onMerchant('getMerchant'),
                pay: onMerchant('createPayment', true),
                payments: onMerchant('listPayments'),
                withdraw: onMerchant('requestWithdrawal', true),
                withdrawals: onMerchant('listWithdrawals'),
              },
            },
            ...problemResponses({ ...body, ...adminProblems, ...unavailable }),
          },
        },
        get: {
          operationId: 'listMerchants',
          summary: 'List merchants, by id',
          ...admin,
          parameters: queryParameters(pageQuery),
          responses: {
            '200': { description: 'a page', content: json('MerchantPage') },
            ...problemResponses({
              400: 'a query parameter the schema refuses (limit 1 to 100, cursor a UUID, no other parameters)',
              ...adminProblems,
              ...unavailable,
            }),
          },
        },
      },
      '/api/v1/merchants/{id}': {
        get: {
          operationId: 'getMerchant',
          summary: 'One merchant',
          ...ofMerchant,
          parameters: [merchantId],
          responses: {
            '200': { description: 'the merchant', content: json('Merchant') },
            ...problemResponses({ 401: unauthorized, ...notFound, ...unavailable }),
          },
        },
      },
      '/api/v1/merchants/{id}/payments': {
        post: {
          operationId: 'createPayment',
          summary: 'Create a payment (no money moves until it is completed)',
          ...ofMerchant,
          parameters: [merchantId, idempotencyKey(true)],
          requestBody: { required: true, content: json('PaymentInput') },
          responses: {
            '201': {
              description: 'created',
              headers: replayed,
              content: json('Payment'),
              links: { get: onMovement('getPayment', 'paymentId'), complete: onMovement('completePayment', 'paymentId', true) },
            },
            ...problemResponses({
              ...body,
              401: unauthorized,
              ...notFound,
              422: `a currency other than the merchant's, or ${body[422]}`,
              ...unavailable,
            }),
          },
        },
        get: list('listPayments', "A merchant's payments", 'PaymentPage'),
      },
      '/api/v1/merchants/{id}/payments/{paymentId}': {
        get: one('getPayment', 'One payment', 'Payment', paymentId, 'payment'),
      },
      '/api/v1/merchants/{id}/payments/{paymentId}/complete': {
        post: {
          operationId: 'completePayment',
          summary: "Complete a payment: its amount becomes the merchant's (the payment provider's call)",
          ...secured('the payment provider: a token with scope payments:complete (no merchant, no platform-admin)'),
          parameters: [merchantId, paymentId, idempotencyKey(true)],
          responses: {
            '200': { description: 'completed', headers: replayed, content: json('Payment') },
            ...problemResponses({
              400: 'an Idempotency-Key that is missing or not 1 to 200 characters',
              ...authProblems('a token without scope payments:complete'),
              404: 'no such payment of this merchant (ids that are not UUIDs too)',
              409: 'the payment is completed already',
              413: 'a body (none is needed) larger than 8 KiB',
              422: body[422],
              ...unavailable,
            }),
          },
        },
      },
      '/api/v1/merchants/{id}/withdrawals': {
        post: {
          operationId: 'requestWithdrawal',
          summary: 'Request a withdrawal: accepted now, decided by the ledger (reserved and paid out, or rejected)',
          ...ofMerchant,
          parameters: [merchantId, idempotencyKey(true)],
          requestBody: { required: true, content: json('WithdrawalInput') },
          responses: {
            '202': {
              description: 'accepted: status requested; the ledger decides (GET it to follow)',
              headers: replayed,
              content: json('Withdrawal'),
              links: { get: onMovement('getWithdrawal', 'withdrawalId') },
            },
            ...problemResponses({ ...body, 401: unauthorized, ...notFound, ...unavailable }),
          },
        },
        get: list('listWithdrawals', "A merchant's withdrawals", 'WithdrawalPage'),
      },
      '/api/v1/merchants/{id}/withdrawals/{withdrawalId}': {
        get: one('getWithdrawal', 'One withdrawal', 'Withdrawal', withdrawalId, 'withdrawal'),
      },
    },
    components: {
      schemas: {
        MerchantInput: { ...schemaOf(merchantInput), examples: [exampleMerchant] },
        PaymentInput: {
          ...schemaOf(paymentInput(maxAmountMinor)),
          examples: [{ ...examplePayment, amountMinor: Math.min(examplePayment.amountMinor, maxAmountMinor) }],
        },
        WithdrawalInput: {
          ...schemaOf(withdrawalInput(maxAmountMinor)),
          examples: [{ amountMinor: Math.min(exampleWithdrawal.amountMinor, maxAmountMinor) }],
        },
        Merchant: schemaOf(merchant, 'output'),
        MerchantPage: schemaOf(pageOf(merchant), 'output'),
        Payment: schemaOf(payment, 'output'),
        PaymentPage: schemaOf(pageOf(payment), 'output'),
        Withdrawal: schemaOf(withdrawal, 'output'),
        WithdrawalPage: schemaOf(pageOf(withdrawal), 'output'),
        ...problemComponent,
      },
      securitySchemes: bearerSecurityScheme,
    },
  };
}
