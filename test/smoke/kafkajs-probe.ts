/**
 * A process that does what every Eventide program does with kafkajs at start-up (connect an admin
 * and a producer, send) and then emits one warning of its own, so a test can tell "no warnings
 * from kafkajs" apart from "warnings hidden":  KAFKA_BROKERS=… node test/smoke/kafkajs-probe.ts
 */
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
await producer.disconnect();
await admin.disconnect();
process.emitWarning('the probe is done', 'ProbeWarning');
console.log('probe sent');
