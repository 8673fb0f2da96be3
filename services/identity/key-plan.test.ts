import { describe, expect, it } from 'vitest';
import { type KeyPlan, type PlannedKey, planKeys } from './key-plan.ts';
import { jwksMaxAgeSeconds, keyRefreshMs, publishLeadMs } from './signing-keys.ts';

const minute = 60_000;
const hour = 60 * minute;
const policy = { rotateAfterMs: 24 * hour, publishLeadMs: 10 * minute, tokenLifetimeMs: 15 * minute };
/** A key created `created` before now, that activates `activates` from now (negative: it already did). */
const key = (kid: string, created: number, activates = -created): PlannedKey => ({ kid, createdAt: -created, activatesAt: activates });

const cases: { name: string; keys: PlannedKey[]; plan: KeyPlan }[] = [
  {
    name: 'no key yet: create one that signs at once',
    keys: [],
    plan: { published: [], retired: [], create: { activatesAt: 0 } },
  },
  {
    name: 'one young key: it signs, nothing else to do',
    keys: [key('a', hour)],
    plan: { signing: 'a', published: ['a'], retired: [] },
  },
  {
    name: 'the signing key is as old as rotateAfter: a successor, published for the lead before it signs',
    keys: [key('a', 24 * hour)],
    plan: { signing: 'a', published: ['a'], retired: [], create: { activatesAt: 10 * minute } },
  },
  {
    name: 'a successor is pending: the old key still signs, both are published, none is created',
    keys: [key('a', 24 * hour + 5 * minute), key('b', 5 * minute, 5 * minute)],
    plan: { signing: 'a', published: ['b', 'a'], retired: [] },
  },
  {
    name: 'the successor activates exactly now: it signs',
    keys: [key('a', 24 * hour + 10 * minute), key('b', 10 * minute, 0)],
    plan: { signing: 'b', published: ['b', 'a'], retired: [] },
  },
  {
    name: 'the old key stays published while a token it signed may live',
    keys: [key('a', 25 * hour), key('b', hour, -(15 * minute - 1))],
    plan: { signing: 'b', published: ['b', 'a'], retired: [] },
  },
  {
    name: 'a token lifetime after its successor activated, the old key is retired',
    keys: [key('a', 25 * hour), key('b', hour, -15 * minute)],
    plan: { signing: 'b', published: ['b'], retired: ['a'] },
  },
  {
    name: 'a chain of keys: only those that signed within a token lifetime remain',
    keys: [
      key('a', 72 * hour),
      key('b', 48 * hour, -48 * hour),
      key('c', 24 * hour + 20 * minute, -(5 * minute)),
      key('d', 5 * minute, 5 * minute),
    ],
    plan: { signing: 'c', published: ['d', 'c', 'b'], retired: ['a'] },
  },
  {
    name: 'keys that activated at one instant (a migration): the newest created signs',
    keys: [
      { kid: 'old', createdAt: -48 * hour, activatesAt: -5 * minute },
      { kid: 'new', createdAt: -2 * hour, activatesAt: -5 * minute },
    ],
    plan: { signing: 'new', published: ['new', 'old'], retired: [] },
  },
  {
    name: 'only keys in the future (a clock set back): one that signs at once is created, the others stay published',
    keys: [key('a', -minute, minute)],
    plan: { published: ['a'], retired: [], create: { activatesAt: 0 } },
  },
];

describe('planKeys', () => {
  for (const c of cases) it(c.name, () => expect(planKeys(c.keys, 0, policy)).toEqual(c.plan));

  it('does not depend on the order keys are stored in', () => {
    const keys = [
      key('c', 24 * hour + 20 * minute, -(5 * minute)),
      key('a', 72 * hour),
      key('d', 5 * minute, 5 * minute),
      key('b', 48 * hour, -48 * hour),
    ];
    expect(planKeys(keys, 0, policy)).toEqual(planKeys([...keys].reverse(), 0, policy));
  });

  it("identity's lead outlasts a cached JWKS plus the refresh of the replica that serves it", () => {
    expect(publishLeadMs).toBeGreaterThan(jwksMaxAgeSeconds * 1000 + keyRefreshMs);
  });
});
