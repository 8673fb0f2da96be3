// @needs kafka
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { redrive } from '../lib/dead-letter-topic.ts';
import { parseFilter, type RedriveFilter } from '../lib/dlq-redrive.ts';
import { kafkaClient } from '../lib/kafka.ts';
import { repoRoot } from '../shared/versions.ts';

const run = promisify(execFile);
const log = pino({ level: 'silent' });
const brokers = inject('kafkaBrokers').split(',');
const kafka = kafkaClient({ clientId: 'dlq-redrive-test', brokers, log });
const admin = kafka.admin();

const group = `redrive-${randomUUID()}`;
const dlqTopic = `${group}.dlq`;
const target = `redrive-target-${randomUUID()}`;
const mapping = 'refused by the mapping: failed to parse field [startsAt]';
const notAChange = 'not a catalog change: value is not JSON';

interface Seeded {
  partition: number;
  key: string;
  reason: string;
  topic?: string | null;
}

/** Dead letters as the indexer writes them: the original record's headers plus the dlq-* ones. */
const seeded: Seeded[] = [
  { partition: 0, key: 'a1', reason: mapping }, // 0/0
  { partition: 0, key: 'b1', reason: notAChange }, // 0/1
  { partition: 0, key: 'a2', reason: mapping }, // 0/2
  { partition: 0, key: 'a-no-target', reason: mapping, topic: null }, // 0/3
  { partition: 0, key: 'a-gone', reason: mapping, topic: `gone-${randomUUID()}` }, // 0/4
  { partition: 1, key: 'a3', reason: mapping }, // 1/0
  { partition: 1, key: 'b2', reason: notAChange }, // 1/1
];

function filter(text: { reason?: string; offsets?: string }): RedriveFilter {
  const parsed = parseFilter(text);
  if (!parsed.ok) throw new Error(parsed.error);
  return parsed.value;
}

const total = async (topic: string) => (await admin.fetchTopicOffsets(topic)).reduce((n, p) => n + Number(p.high), 0);

/** Every record of a topic, read to its current end by a throwaway group. */
async function readAll(topic: string): Promise<{ key: string; value: string; headers: Record<string, string> }[]> {
  const expected = await total(topic);
  const records: { key: string; value: string; headers: Record<string, string> }[] = [];
  if (expected === 0) return records;
  const groupId = `reader-${randomUUID()}`;
  const consumer = kafka.consumer({ groupId });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`only ${records.length} of ${expected} records within 60 s`)), 60_000);
    void consumer.run({
      eachMessage: async ({ message }) => {
        records.push({
          key: message.key?.toString() ?? '',
          value: message.value?.toString() ?? '',
          headers: Object.fromEntries(Object.entries(message.headers ?? {}).map(([k, v]) => [k, String(v)])),
        });
        if (records.length === expected) {
          clearTimeout(timer);
          resolve();
        }
      },
    });
  });
  await consumer.disconnect();
  await admin.deleteGroups([groupId]).catch(() => undefined);
  return records;
}

beforeAll(async () => {
  await admin.connect();
  await admin.createTopics({
    topics: [
      { topic: dlqTopic, numPartitions: 2, replicationFactor: 1 },
      { topic: target, numPartitions: 3, replicationFactor: 1 },
    ],
    waitForLeaders: true,
  });
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  for (const [i, s] of seeded.entries()) {
    const headers: Record<string, string> = {
      ce_id: `id-${s.key}`,
      ce_type: 'catalog.event.changed.v1',
      ce_source: '/catalog',
      'dlq-reason': s.reason,
      'dlq-partition': String(i % 3),
      'dlq-offset': String(100 + i),
      'dlq-group': group,
      'dlq-attempts': '3',
      'dlq-time': new Date().toISOString(),
    };
    if (s.topic !== null) headers['dlq-topic'] = s.topic ?? target;
    await producer.send({
      topic: dlqTopic,
      acks: -1,
      messages: [{ partition: s.partition, key: s.key, value: JSON.stringify({ key: s.key }), headers }],
    });
  }
  await producer.disconnect();
});
afterAll(async () => {
  await admin.deleteTopics({ topics: [dlqTopic, target] }).catch(() => undefined);
  await admin.disconnect();
});

describe('make dlq-redrive against a real Kafka', () => {
  it('dry run (the CLI as a child process): reports what would move and publishes nothing', async () => {
    const { stdout } = await run(process.execPath, [join(repoRoot, 'scripts/dlq-redrive.ts')], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH, GROUP: group, REASON: 'mapping', DRY_RUN: '1', KAFKA_BROKERS: brokers.join(',') },
      timeout: 90_000,
    });
    expect(stdout).toContain(`dlq-redrive ${dlqTopic} — DRY RUN, nothing was published`);
    expect(stdout).toMatch(/read: +7 \(up to the end offsets at start: 0:5 1:2\)/);
    expect(stdout).toMatch(/selected: +5\n/);
    expect(stdout).toMatch(/not selected: 2 \(2 reason does not match\)/);
    expect(stdout).toMatch(new RegExp(`would move: +3\\n {4}3 → ${target}\\n`));
    expect(stdout).toMatch(
      /skipped: +2\n {4}1 no dlq-topic header \(partition\/offset 0\/3\)\n {4}1 target topic gone-.* does not exist \(partition\/offset 0\/4\)/,
    );
    expect(stdout).toContain('consumers are idempotent');
    expect(await total(target)).toBe(0);
  });

  it("works where the platform runs: the CLI over TLS + SCRAM with the services' settings, and says so when they are missing", async () => {
    const provided = inject('kafkaSecure');
    if (!provided) throw new Error('this test needs the local broker (its secure listener): unset EVENTIDE_KAFKA_BROKERS');
    const secure = JSON.parse(provided) as { brokers: string[]; ca: string; username: string; password: string };
    const cli = (env: Record<string, string>) =>
      run(process.execPath, [join(repoRoot, 'scripts/dlq-redrive.ts')], {
        cwd: repoRoot,
        env: { PATH: process.env.PATH, GROUP: group, REASON: 'mapping', DRY_RUN: '1', KAFKA_BROKERS: secure.brokers.join(','), ...env },
        timeout: 90_000,
      });
    const { stdout } = await cli({ KAFKA_CA: secure.ca, KAFKA_SASL_USERNAME: secure.username, KAFKA_SASL_PASSWORD: secure.password });
    expect(stdout).toMatch(/read: +7 \(up to the end offsets at start: 0:5 1:2\)/);
    await expect(cli({ KAFKA_CA: secure.ca, KAFKA_SASL_USERNAME: secure.username })).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringContaining('KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD go together'),
    });
  });

  it('moves the selected records with key, value and original headers, dlq headers replaced by their origin', async () => {
    const report = await redrive({ brokers, group, filter: filter({ reason: '/^refused by the mapping/' }), dryRun: false, log });
    expect(report).toMatchObject({
      dlqTopic,
      dryRun: false,
      endOffsets: { 0: '5', 1: '2' },
      read: 7,
      selected: 5,
      notSelected: { 'reason does not match': 2 },
      moved: { [target]: 3 },
      skipped: {
        'no dlq-topic header': { count: 1, examples: ['0/3'] },
        [`target topic ${seeded[4]?.topic} does not exist`]: { count: 1, examples: ['0/4'] },
      },
    });

    const arrived = await readAll(target);
    expect(arrived.map((r) => r.key).sort()).toEqual(['a1', 'a2', 'a3']);
    const origin: Record<string, string> = { a1: '0/0', a2: '0/2', a3: '1/0' };
    for (const r of arrived) {
      expect(r.value).toBe(JSON.stringify({ key: r.key }));
      expect(r.headers).toEqual({
        ce_id: `id-${r.key}`,
        ce_type: 'catalog.event.changed.v1',
        ce_source: '/catalog',
        'dlq-redriven-from': `${dlqTopic}/${origin[r.key]}`,
      });
    }

    // The reader committed nothing and its group is gone; the dead-letter topic is as it was.
    expect(report.readerGroup).toMatch(/^eventide-dlq-redrive-/);
    const { groups } = await admin.listGroups();
    expect(groups.map((g) => g.groupId)).not.toContain(report.readerGroup);
    expect(await total(dlqTopic)).toBe(7);
  });

  it('an offset range selects by partition and offset; a second redrive only adds a duplicate', async () => {
    const report = await redrive({ brokers, group, filter: filter({ offsets: '1:0-0,0:1-2' }), dryRun: false, log });
    // 0/1 is b1 (another reason, but no REASON filter now), 0/2 is a2 again, 1/0 is a3 again.
    expect(report).toMatchObject({ read: 7, selected: 3, notSelected: { 'outside OFFSETS': 4 }, moved: { [target]: 3 }, skipped: {} });
    const arrived = await readAll(target);
    expect(arrived.map((r) => r.key).sort()).toEqual(['a1', 'a2', 'a2', 'a3', 'a3', 'b1']);
    expect(arrived.find((r) => r.key === 'b1')?.headers['dlq-redriven-from']).toBe(`${dlqTopic}/0/1`);
  });

  it('an empty dead-letter topic reads nothing and a missing one is a clear error', async () => {
    const empty = `redrive-empty-${randomUUID()}`;
    await admin.createTopics({ topics: [{ topic: `${empty}.dlq`, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const report = await redrive({ brokers, group: empty, filter: {}, dryRun: false, log });
    expect(report).toMatchObject({ read: 0, selected: 0, moved: {}, endOffsets: { 0: '0' } });
    expect(report.readerGroup).toBeUndefined();
    await admin.deleteTopics({ topics: [`${empty}.dlq`] });
    await expect(redrive({ brokers, group: `nope-${randomUUID()}`, filter: {}, dryRun: true, log })).rejects.toThrow(
      /topic nope-.*\.dlq does not exist/,
    );
  });
});
