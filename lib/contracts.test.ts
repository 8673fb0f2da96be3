import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ContractError, ContractRegistry, defineContract, encodeEvent, incompatibilities, isEvent, jsonSchemaOf } from './contracts.ts';

const withdrawal = defineContract({
  type: 'dev.eventide.example.withdrawal.requested.v1',
  source: '/example',
  topic: 'example.events',
  data: z.looseObject({ withdrawalId: z.string(), merchantId: z.string(), amountMinor: z.string().regex(/^[1-9][0-9]*$/) }),
  subject: (d) => d.withdrawalId,
  key: (d) => d.merchantId,
  description: 'A merchant asked for a withdrawal.',
});
const registry = new ContractRegistry([withdrawal]);
const data = { withdrawalId: 'w1', merchantId: 'm1', amountMinor: '500' };

describe('event contracts', () => {
  it('names a type with its version', () => {
    expect(() => defineContract({ ...withdrawal, type: 'dev.eventide.example.withdrawal.requested' })).toThrow(/\.vN/);
  });

  it('encodes valid data with its subject and key, and decodes it back', () => {
    const record = encodeEvent(withdrawal, data, { id: 'e1' });
    expect(record).toMatchObject({ topic: 'example.events', key: 'm1', headers: { ce_subject: 'w1', ce_id: 'e1' } });
    const decoded = registry.decode(record);
    expect(isEvent(withdrawal, decoded) && decoded.data.amountMinor).toBe('500');
  });

  it('refuses to publish data that breaks the contract, naming the field', () => {
    expect(() => encodeEvent(withdrawal, { ...data, amountMinor: '-5' })).toThrow(ContractError);
    expect(() => encodeEvent(withdrawal, { ...data, amountMinor: '-5' })).toThrow(/amountMinor/);
  });

  it('refuses on consumption an unknown type or data that breaks the contract', () => {
    const record = encodeEvent(withdrawal, data);
    expect(() => registry.decode({ ...record, headers: { ...record.headers, ce_type: 'dev.eventide.other.v1' } })).toThrow(
      /unknown ce_type/,
    );
    expect(() => registry.decode({ ...record, value: JSON.stringify({ withdrawalId: 'w1' }) })).toThrow(/merchantId/);
  });

  it('exports a JSON Schema that names the type and topic', () => {
    const schema = jsonSchemaOf(withdrawal);
    expect(schema).toMatchObject({ $id: withdrawal.type, type: 'object', required: ['withdrawalId', 'merchantId', 'amountMinor'] });
    expect(schema.description).toContain('example.events');
  });
});

describe('contract compatibility', () => {
  const v1 = jsonSchemaOf(withdrawal);
  const changed = (data: z.ZodType) => jsonSchemaOf({ ...withdrawal, data });
  const shape = withdrawal.data.shape;

  it.each<[string, z.ZodType, RegExp | undefined]>([
    ['the same schema', withdrawal.data, undefined],
    ['an optional field added', z.looseObject({ ...shape, note: z.string().optional() }), undefined],
    [
      'a required field removed',
      z.looseObject({ withdrawalId: shape.withdrawalId, merchantId: shape.merchantId }),
      /amountMinor: required field removed/,
    ],
    [
      'a required field renamed',
      z.looseObject({ withdrawalId: shape.withdrawalId, merchantId: shape.merchantId, amount: shape.amountMinor }),
      /amountMinor: required field removed or renamed/,
    ],
    [
      'a required field made optional',
      z.looseObject({ ...shape, merchantId: z.string().optional() }),
      /merchantId: required field made optional/,
    ],
    ['a new required field', z.looseObject({ ...shape, currency: z.string() }), /currency: new required field/],
    ['a type changed', z.looseObject({ ...shape, amountMinor: z.int() }), /amountMinor: type changed from string to integer/],
    ['the object closed', z.object(shape).strict(), /closed/],
  ])('%s', (_case, next, problem) => {
    const found = incompatibilities(v1, changed(next));
    if (problem) expect(found.join('\n')).toMatch(problem);
    else expect(found).toEqual([]);
  });

  it('finds changes in nested objects, arrays and enums', () => {
    const before = jsonSchemaOf({ ...withdrawal, data: z.object({ lines: z.array(z.object({ side: z.enum(['debit', 'credit']) })) }) });
    const after = jsonSchemaOf({
      ...withdrawal,
      data: z.object({ lines: z.array(z.object({ side: z.enum(['debit', 'credit', 'both']) })) }),
    });
    expect(incompatibilities(before, after)).toEqual(['data.lines[].side: the set of allowed values grew']);
  });
});
