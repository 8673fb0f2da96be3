/**
 * A process that does what every Eventide program does with kafkajs at start-up (connect an admin
 * and a producer, send), counts the timers its idle connections start in one second, and then
 * emits one warning of its own, so a test can tell "no warnings from kafkajs" apart from
 * "warnings hidden":  KAFKA_BROKERS=… node test/smoke/kafkajs-probe.ts
 */
import { createHook } from 'node:async_hooks';
import kafkajs from 'kafkajs';

const brokers = (process.env.KAFKA_BROKERS ?? '').split(',');
const topic = process.env.PROBE_TOPIC ?? 'kafkajs-probe';
const kafka = new kafkajs.Kafka({ clientId: 'kafkajs-probe', brokers, logLevel: kafkajs.logLevel.NOTHING });
const admin = kafka.admin();
await admin.connect();
await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
const producer = kafka.producer({ createPartitioner: kafkajs.Partitioners.DefaultPartitioner });
await producer.connect();
await producer.send({ topic, messages: [{ value: 'probe' }] });
let timers = 0;
const hook = createHook({
  init(_id, type) {
    if (type === 'Timeout') timers++;
  },
}).enable();
await new Promise((resolve) => setTimeout(resolve, 1_000));
hook.disable();
console.log(`idle timers: ${timers}`);
await producer.disconnect();
await admin.disconnect();
process.emitWarning('the probe is done', 'ProbeWarning');
console.log('probe sent');
