import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { kafkaClient } from '../lib/kafka.ts';
import { findJava, resolveMavenLibs } from './maven.ts';
import { cacheDir, repoRoot, versions } from './paths.ts';
import { freePort } from './ports.ts';
import { launch, waitUntilReady } from './process.ts';
import { externalServer, type LocalServer, startProcessServer } from './server.ts';

const run = promisify(execFile);

export interface KafkaServer extends LocalServer {
  /** host:port list for kafkajs `brokers`. */
  readonly brokers: string[];
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

export function kafkaServerProperties(o: { port: number; controllerPort: number; dataDir: string }): string {
  return `${[
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${o.controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${o.port},CONTROLLER://127.0.0.1:${o.controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${o.port}`,
    'controller.listener.names=CONTROLLER',
    'listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
    'inter.broker.listener.name=PLAINTEXT',
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
export async function startKafka({ timeoutMs = 180_000 }: { timeoutMs?: number } = {}): Promise<KafkaServer> {
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
  const [port, controllerPort] = [await freePort(), await freePort()];
  const properties = join(home, 'server.properties');
  writeFileSync(
    properties,
    kafkaServerProperties({
      port,
      controllerPort,
      dataDir: join(home, 'data'),
    }),
  );
  writeFileSync(join(home, 'log4j2.properties'), log4j2);
  const javaArgs = [
    '-Xms256m',
    '-Xmx768m',
    '-Djava.awt.headless=true',
    `-Dlog4j2.configurationFile=${join(home, 'log4j2.properties')}`,
    '-cp',
    join(libDir, '*'),
  ];
  try {
    await run(java, [...javaArgs, 'kafka.tools.StorageTool', 'format', `--cluster-id=${newClusterId()}`, '-c', properties], {
      timeout: 90_000,
    });
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
  return { ...server, brokers };
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
      { topic: `${groupId}.dlq`, numPartitions: 1, replicationFactor: 1 },
    ],
    waitForLeaders: true,
  });
}
