import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { deadLetterTopic } from '../lib/consumer/dead-letter.ts';
import { kafkaClient } from '../lib/kafka.ts';
import { repoRoot, versions } from '../shared/versions.ts';
import { findJava, resolveMavenLibs } from './maven.ts';
import { cacheDir } from './paths.ts';
import { makeCa, signCert } from './pki.ts';
import { freePort } from './ports.ts';
import { launch, waitUntilReady } from './process.ts';
import { externalServer, type LocalServer, startProcessServer } from './server.ts';

const run = promisify(execFile);

export interface KafkaServer extends LocalServer {
  /** host:port list for kafkajs `brokers`. */
  readonly brokers: string[];
  /**
   * A second listener as production's (TLS + SCRAM-SHA-512), for tools that must work against it;
   * absent for a server the environment named.
   */
  readonly secure?: SecureListener;
  /** With `requestLog`: the broker's request log, one "Completed request:{…}" line per request. */
  readonly requestLog?: string;
}

/** A TLS + SCRAM-SHA-512 listener: its brokers, the CA that signed its certificate, one SCRAM user. */
export interface SecureListener {
  brokers: string[];
  ca: string;
  username: string;
  password: string;
}

/**
 * KRaft storage needs a cluster id: 16 random bytes, base64url without padding. Like Kafka's own
 * Uuid.randomUuid, never one that starts with "-", which command-line parsers take for an option.
 */
export function newClusterId(random: () => Buffer = () => randomBytes(16)): string {
  for (;;) {
    const id = random().toString('base64url');
    if (!id.startsWith('-')) return id;
  }
}

export function kafkaServerProperties(o: {
  port: number;
  controllerPort: number;
  dataDir: string;
  /** A SASL_SSL listener (SCRAM-SHA-512) on this port, its key and certificate chain in one PEM file. */
  secure?: { port: number; keystore: string };
}): string {
  const secure = o.secure
    ? [
        'sasl.enabled.mechanisms=SCRAM-SHA-512',
        'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required;',
        'listener.name.sasl_ssl.ssl.keystore.type=PEM',
        `listener.name.sasl_ssl.ssl.keystore.location=${o.secure.keystore}`,
      ]
    : [];
  const listener = (name: string, port: number) => `${name}://127.0.0.1:${port}`;
  const served = [listener('PLAINTEXT', o.port), ...(o.secure ? [listener('SASL_SSL', o.secure.port)] : [])];
  return `${[
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${o.controllerPort}`,
    `listeners=${[...served, listener('CONTROLLER', o.controllerPort)].join(',')}`,
    `advertised.listeners=${served.join(',')}`,
    'controller.listener.names=CONTROLLER',
    `listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT${o.secure ? ',SASL_SSL:SASL_SSL' : ''}`,
    'inter.broker.listener.name=PLAINTEXT',
    ...secure,
    `log.dirs=${o.dataDir}`,
    // One node: every internal topic has one replica.
    'offsets.topic.replication.factor=1',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    // Topics are declared (Topic CRs, test setup), never created by a typo in a producer.
    'auto.create.topics.enable=false',
  ].join('\n')}\n`;
}

const log4j2 = `status = warn
appender.out.type = Console
appender.out.name = OUT
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = [%d] %p %m (%c)%n
rootLogger.level = INFO
rootLogger.appenderRef.out.ref = OUT
`;

/** Kafka's request logger at DEBUG into its own file: every completed request with its client id. */
export function requestLogConfig(file: string): string {
  return `appender.requests.type = File
appender.requests.name = REQUESTS
appender.requests.fileName = ${file}
appender.requests.layout.type = PatternLayout
appender.requests.layout.pattern = %m%n
logger.requests.name = kafka.request.logger
logger.requests.level = DEBUG
logger.requests.additivity = false
logger.requests.appenderRef.requests.ref = REQUESTS
`;
}

async function brokerAnswers(brokers: string[]): Promise<boolean> {
  const admin = kafkaClient({
    clientId: 'eventide-readiness',
    brokers,
    retry: { retries: 0 },
  }).admin();
  try {
    await admin.connect();
    const cluster = await admin.describeCluster();
    return cluster.brokers.length > 0 && cluster.controller !== null;
  } finally {
    await admin.disconnect();
  }
}

/**
 * Starts Apache Kafka (KRaft, one combined broker/controller) from Maven Central jars on free
 * loopback ports, or uses EVENTIDE_KAFKA_BROKERS when set.
 */
export async function startKafka({
  timeoutMs = 180_000,
  requestLog = false,
}: {
  timeoutMs?: number;
  /** Log every request the broker completes (see `requestLogConfig`), for counting who calls. Default false. */
  requestLog?: boolean;
} = {}): Promise<KafkaServer> {
  const override = process.env.EVENTIDE_KAFKA_BROKERS;
  if (override) {
    const brokers = override.split(',').map((b) => b.trim());
    return { ...externalServer('kafka', override), brokers };
  }
  const what = `Kafka ${versions.kafka}`;
  const java = await findJava(what);
  const libDir = await resolveMavenLibs({
    what,
    pom: join(repoRoot, 'devkit/kafka/pom.xml'),
    properties: { 'kafka.version': versions.kafka },
    libDir: cacheDir('kafka', versions.kafka, 'libs'),
  });

  const home = mkdtempSync(join(tmpdir(), 'eventide-kafka-'));
  const [port, controllerPort, securePort] = [await freePort(), await freePort(), await freePort()];
  const tls = await selfSignedTls(home, what);
  const scram = { username: 'eventide-tools', password: randomBytes(18).toString('base64url') };
  const properties = join(home, 'server.properties');
  writeFileSync(
    properties,
    kafkaServerProperties({
      port,
      controllerPort,
      dataDir: join(home, 'data'),
      secure: { port: securePort, keystore: tls.keystore },
    }),
  );
  const requestLogFile = requestLog ? join(home, 'requests.log') : undefined;
  writeFileSync(join(home, 'log4j2.properties'), log4j2 + (requestLogFile ? requestLogConfig(requestLogFile) : ''));
  const javaArgs = [
    '-Xms256m',
    '-Xmx768m',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(home, 'log4j2.properties')}`,
    '-cp',
    join(libDir, '*'),
  ];
  try {
    const addScram = `SCRAM-SHA-512=[name=${scram.username},password=${scram.password}]`;
    await run(
      java,
      [...javaArgs, 'kafka.tools.StorageTool', 'format', `--cluster-id=${newClusterId()}`, '-c', properties, '--add-scram', addScram],
      { timeout: 90_000 },
    );
  } catch (error) {
    rmSync(home, { recursive: true, force: true });
    throw new Error(`${what}: formatting KRaft storage failed: ${(error as Error).message}`);
  }

  const brokers = [`127.0.0.1:${port}`];
  const server = await startProcessServer({
    name: 'kafka',
    endpoint: brokers.join(','),
    home,
    launch: () => launch({ name: what, command: java, args: [...javaArgs, 'kafka.Kafka', properties], logFile: join(home, 'kafka.log') }),
    ready: (proc) => waitUntilReady(proc, () => brokerAnswers(brokers), { timeoutMs, what: `answering on ${brokers[0]}` }),
  });
  return { ...server, brokers, secure: { brokers: [`127.0.0.1:${securePort}`], ca: tls.ca, ...scram }, requestLog: requestLogFile };
}

/**
 * A throwaway CA and a certificate for 127.0.0.1 signed by it (openssl, two days): what the secure
 * listener presents and what a client must trust, as Strimzi's cluster CA is on a cluster.
 */
async function selfSignedTls(home: string, what: string): Promise<{ keystore: string; ca: string }> {
  const dir = join(home, 'tls');
  mkdirSync(dir);
  const file = (name: string) => join(dir, name);
  try {
    await makeCa(dir, { name: 'ca', subject: '/CN=eventide-local-ca', days: 2 });
    await signCert(dir, { ca: 'ca', name: 'broker', subject: '/CN=127.0.0.1', extensions: 'subjectAltName=IP:127.0.0.1\n', days: 2 });
  } catch (error) {
    throw new Error(`${what}: creating the secure listener's certificate: ${(error as Error).message}`);
  }
  // Kafka's PEM keystore: the PKCS#8 key, then the chain.
  writeFileSync(file('keystore.pem'), `${readFileSync(file('broker.key'), 'utf8')}${readFileSync(file('broker.crt'), 'utf8')}`);
  return { keystore: file('keystore.pem'), ca: readFileSync(file('ca.crt'), 'utf8') };
}

/** A consumer's topics for a test: the topic it reads and its `<group>.dlq`. */
export async function createConsumerTopics(
  admin: {
    createTopics: (options: {
      topics: { topic: string; numPartitions: number; replicationFactor: number }[];
      waitForLeaders: boolean;
    }) => Promise<boolean>;
  },
  { topic, groupId, partitions }: { topic: string; groupId: string; partitions: number },
): Promise<void> {
  await admin.createTopics({
    topics: [
      { topic, numPartitions: partitions, replicationFactor: 1 },
      { topic: deadLetterTopic(groupId), numPartitions: 1, replicationFactor: 1 },
    ],
    waitForLeaders: true,
  });
}

/**
 * Drops every record the topics hold now (they stay, empty). Suites that share the run's broker use
 * it around their own history of a platform topic (payments.events, say), one suite at a time.
 */
export async function truncateTopics(
  admin: {
    fetchTopicOffsets: (topic: string) => Promise<{ partition: number; high: string }[]>;
    deleteTopicRecords: (options: { topic: string; partitions: { partition: number; offset: string }[] }) => Promise<void>;
  },
  topics: string[],
): Promise<void> {
  for (const topic of topics) {
    // A topic created a moment ago may not have its leaders in the client's metadata yet: retry briefly.
    for (let attempt = 1; ; attempt++) {
      try {
        const offsets = (await admin.fetchTopicOffsets(topic)).filter((p) => Number(p.high) > 0);
        if (offsets.length > 0)
          await admin.deleteTopicRecords({ topic, partitions: offsets.map((p) => ({ partition: p.partition, offset: p.high })) });
        break;
      } catch (error) {
        if (attempt >= 10) throw error;
        await new Promise((r) => setTimeout(r, 300 * attempt));
      }
    }
  }
}
