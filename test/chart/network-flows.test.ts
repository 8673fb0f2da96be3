/**
 * The NetworkPolicies against the flows the platform uses, both derived from a fresh synth: every
 * connection a workload's settings name (PGHOST=postgres, IDENTITY_JWKS_URL=http://identity:8080/…,
 * KAFKA_BROKERS, ELASTICSEARCH_URL, the OTLP endpoint, DNS, the API server for a ServiceAccount
 * token) must be allowed at both ends, and nothing else between the namespace's pods may be.
 */
import { describe, expect, it } from 'vitest';
import { profiles } from '../../cdk8s/profile.ts';
import { allows, describeFlow, type Endpoint, type Flow, NetworkModel } from './network-model.ts';
import { parseObjects, synthFiles } from './synth.ts';

for (const profile of Object.values(profiles)) {
  describe(`the ${profile.name} chart's network`, () => {
    const objects = [...synthFiles(profile).values()].flatMap(parseObjects);
    const model = new NetworkModel(objects, profile);
    const used = model.flowsFromSettings();
    const key = (f: Pick<Flow, 'from' | 'to' | 'port' | 'protocol'>) => `${f.from.name} → ${f.to.name}:${f.port}/${f.protocol}`;
    const usedKeys = new Set(used.map(key));

    it('denies by default: one policy selects every pod for ingress and egress and allows nothing', () => {
      expect(model.policies.filter((p) => Object.keys(p.podSelector).length === 0 && !p.ingress && !p.egress)).toEqual([
        expect.objectContaining({ name: 'default-deny', policyTypes: ['Ingress', 'Egress'] }),
      ]);
    });

    it('finds the flows the workloads use, e.g. the JWKS, their databases and Kafka', () => {
      expect([...usedKeys]).toEqual(
        expect.arrayContaining([
          'teachers → identity:8080/TCP',
          'catalog → identity:8080/TCP',
          'catalog → postgres:5432/TCP',
          'identity → postgres:5432/TCP',
          'search-indexer → elasticsearch:9200/TCP',
          'search-api → elasticsearch:9200/TCP',
          `catalog → eventide-kafka:${profile.kafka.authentication ? 9093 : 9092}/TCP`,
          'eventide-operator → the API server:6443/TCP',
          'catalog → kube-dns:53/UDP',
        ]),
      );
    });

    it.each(used.map((f) => [describeFlow(f), f] as const))('allows %s', (_name, flow) => {
      expect(allows(model.policies, flow)).toBe(true);
    });

    it.each(model.strimziFlows().map((f) => [describeFlow(f), f] as const))("allows Strimzi's %s", (_name, flow) => {
      expect(allows(model.policies, flow)).toBe(true);
    });

    it('allows nothing else between the namespace’s pods: every open pod port is a used flow', () => {
      const destinations: Endpoint[] = [...model.pods, model.strimzi.brokers];
      const open: string[] = [];
      for (const from of model.pods)
        for (const to of destinations)
          for (const port of new Set([...(to.ports?.values() ?? []), ...(to === model.strimzi.brokers ? model.strimzi.ports : [])]))
            if (allows(model.policies, { from, to, port, protocol: 'TCP' })) open.push(key({ from, to, port, protocol: 'TCP' }));
      expect(open.filter((k) => !usedKeys.has(k))).toEqual([]);
    });

    it('takes API calls from outside the namespace; /metrics-only ports only from the labelled scrapers', () => {
      const stranger = model.outsider('stranger', { 'kubernetes.io/metadata.name': 'stranger' });
      const scraper = model.outsider('monitoring', {
        'kubernetes.io/metadata.name': 'monitoring',
        ...(typeof profile.network.metricsScrapers === 'object' && 'namespace' in profile.network.metricsScrapers
          ? profile.network.metricsScrapers.namespace
          : {}),
      });
      const apis = model.pods.filter((p) => p.labels?.['app.kubernetes.io/component'] === 'api').map((p) => p.name);
      expect(apis.sort()).toEqual(
        ['catalog', 'identity', 'ledger', 'payments', 'search-api', 'teachers', ...(profile.examples ? ['category-counts'] : [])].sort(),
      );
      for (const name of apis)
        expect(allows(model.policies, { from: stranger, to: model.pod(name), port: 8080, protocol: 'TCP' }), name).toBe(true);
      for (const name of ['search-indexer', 'eventide-operator']) {
        const to = model.pod(name);
        expect(allows(model.policies, { from: stranger, to, port: 8080, protocol: 'TCP' }), `stranger → ${name}`).toBe(false);
        expect(allows(model.policies, { from: scraper, to, port: 8080, protocol: 'TCP' }), `scraper → ${name}`).toBe(true);
      }
      for (const [name, port] of [
        ['postgres', 5432],
        ['elasticsearch', 9200],
      ] as const)
        expect(allows(model.policies, { from: stranger, to: model.pod(name), port, protocol: 'TCP' }), name).toBe(false);
    });

    it('lets no workload out of the cluster but to the API server, and only the ones that hold a token', () => {
      const internet: Endpoint = { name: 'the internet', ip: '203.0.113.7' };
      for (const from of model.pods) {
        expect(allows(model.policies, { from, to: internet, port: 443, protocol: 'TCP' }), from.name).toBe(
          from.apiClient && profile.network.apiServer.cidr === '0.0.0.0/0',
        );
        expect(allows(model.policies, { from, to: model.apiServer, port: 6443, protocol: 'TCP' }), from.name).toBe(from.apiClient);
      }
    });

    it('fails a flow whose policy is missing (the JWKS call without identity-jwks)', () => {
      const without = model.policies.filter((p) => p.name !== 'identity-jwks-egress');
      const jwks = used.filter((f) => f.to.name === 'identity' && f.because.startsWith('IDENTITY_JWKS_URL'));
      expect(jwks.map((f) => f.from.name).sort()).toEqual(
        [...(profile.console ? ['console'] : []), 'catalog', 'ledger', 'payments', 'teachers'].sort(),
      );
      for (const flow of jwks) expect(allows(without, flow), describeFlow(flow)).toBe(false);
    });
  });
}
