import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAllDocuments } from 'yaml';
import { platformApp } from '../../cdk8s/platform.ts';
import type { Profile } from '../../cdk8s/profile.ts';
import type { ServiceManifest } from '../../lib/service-manifest.ts';
import { serviceRegistry } from '../../services/registry.ts';

export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string> };
  spec?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A fresh synth of a profile (of the registry's services, or these): file name → YAML text. */
export function synthFiles(profile: Profile, services: readonly ServiceManifest[] = serviceRegistry): Map<string, string> {
  const dir = mkdtempSync(join(tmpdir(), 'eventide-synth-'));
  try {
    platformApp(profile, dir, services).synth();
    return new Map(readdirSync(dir).map((file) => [file, readFileSync(join(dir, file), 'utf8')]));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function parseObjects(yamlText: string): KubeObject[] {
  return parseAllDocuments(yamlText)
    .map((doc) => doc.toJSON() as KubeObject | null)
    .filter((o): o is KubeObject => o !== null);
}

/**
 * Secrets Strimzi writes for the chart: one per KafkaUser (its SCRAM password) and the cluster
 * CA's certificate once any user needs it. Name → keys the chart may refer to.
 */
export function strimziSecrets(objects: KubeObject[]): Map<string, string[]> {
  const users = objects.filter((o) => o.kind === 'KafkaUser').map((o) => o.metadata.name);
  const cluster = objects.find((o) => o.kind === 'Kafka')?.metadata.name;
  return new Map([
    ...users.map((user) => [user, ['password', 'sasl.jaas.config']] as [string, string[]]),
    ...(users.length > 0 && cluster ? [[`${cluster}-cluster-ca-cert`, ['ca.crt']] as [string, string[]]] : []),
  ]);
}
