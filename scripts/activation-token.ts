/**
 * `make activation-token EMAIL=…`: what an e-mail or SMS sender would deliver — the newest
 * activation token identity published on identity.events for that address, read from the Kafka of
 * a running `make dev`. A development convenience: in production only the deliverer reads the topic.
 */
import { randomUUID } from 'node:crypto';
import { z } from 'zod';
import { kafkaClient } from '../lib/kafka.ts';
import { identityTopic } from '../services/identity/events.ts';
import { readDevState } from './local/dev-state.ts';

const settings = z
  .object({ EMAIL: z.email('EMAIL must be the teacher’s e-mail address').transform((e) => e.toLowerCase()) })
  .safeParse(process.env);
if (!settings.success) {
  console.error(`make activation-token: ${settings.error.issues.map((i) => i.message).join('; ')}`);
  process.exit(2);
}
let brokers: string[];
try {
  brokers = readDevState().kafkaBrokers.split(',');
} catch (error) {
  console.error((error as Error).message);
  process.exit(1);
}
const kafka = kafkaClient({ clientId: 'activation-token', brokers });
const admin = kafka.admin();
await admin.connect();
const end = (await admin.fetchTopicOffsets(identityTopic)).reduce((n, p) => n + Number(p.high), 0);
await admin.disconnect();
const consumer = kafka.consumer({ groupId: `activation-token-${randomUUID()}` });
let found: { token: string; expiresAt: string } | undefined;
let seen = 0;
await consumer.connect();
await consumer.subscribe({ topic: identityTopic, fromBeginning: true });
await new Promise<void>((done) => {
  const timer = setTimeout(done, 15_000);
  if (end === 0) done();
  void consumer.run({
    eachMessage: async ({ message }) => {
      seen++;
      const data = JSON.parse(message.value?.toString() ?? '{}') as { email?: string; token: string; expiresAt: string };
      if (data.email === settings.data.EMAIL) found = data;
      if (seen >= end) {
        clearTimeout(timer);
        done();
      }
    },
  });
});
await consumer.disconnect();
if (!found) {
  console.error(`no activation request for ${settings.data.EMAIL} on ${identityTopic} (${seen} read)`);
  process.exit(1);
}
console.log(found.token);
