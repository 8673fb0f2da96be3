import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { EnvelopeError } from '../cloudevents.ts';
import type { DecodedEvent } from '../contracts.ts';
import { Inbox } from '../inbox.ts';
import { eachEventOnce } from './each-batch.ts';
import { eachEvent } from './each-event.ts';
import { EventConsumer } from './event-consumer.ts';

const event = (id: string) => ({ id }) as DecodedEvent;
const context = { partition: 0, heartbeat: async () => undefined };

describe('eachEvent', () => {
  it('handles events one at a time, in order, and reports each done', async () => {
    const seen: string[] = [];
    const handle = eachEvent(async (e) => seen.push(e.id));
    expect(await handle([event('a'), event('b')], context)).toEqual([undefined, undefined]);
    expect(seen).toEqual(['a', 'b']);
  });

  it('rejects alone an event that breaks its envelope or that PostgreSQL refuses for its content', async () => {
    const handle = eachEvent(async (e) => {
      if (e.id === 'bad') throw new EnvelopeError('not ours');
      if (e.id === 'check') throw Object.assign(new Error('violates check constraint'), { code: '23514' });
    });
    expect(await handle([event('ok'), event('bad'), event('check'), event('after')], context)).toEqual([
      undefined,
      { reject: 'not ours' },
      { reject: 'violates check constraint' },
      undefined,
    ]);
  });

  it('lets any other failure through, so that the runtime retries the batch instead of dead-lettering', async () => {
    const handle = eachEvent(async (e) => {
      if (e.id === 'b') throw Object.assign(new Error('Connection terminated'), { code: '57P01' });
    });
    await expect(handle([event('a'), event('b')], context)).rejects.toThrow('Connection terminated');
  });
});

describe('eachEventOnce', () => {
  it('names the inbox it writes through, so the service can keep that inbox bounded', () => {
    const inbox = new Inbox({ pool: undefined as never, group: 'ledger' });
    const handle = eachEventOnce(inbox, async () => undefined);
    expect(handle.inbox).toBe(inbox);
    const options = {
      brokers: ['127.0.0.1:9'],
      groupId: 'ledger',
      topic: 'payments.events',
      contracts: undefined as never,
      log: pino({ level: 'silent' }),
    };
    expect(new EventConsumer({ ...options, handle }).inbox).toBe(inbox);
    expect(new EventConsumer({ ...options, handle: eachEvent(async () => undefined) }).inbox).toBeUndefined();
  });
});
