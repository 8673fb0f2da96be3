import { describe, expect, it } from 'vitest';
import { adapterObjects, endpointAddress, kedaModuleVersion } from './keda.ts';

describe('devkit KEDA', () => {
  it('reads the pinned module version from the wrapper', () => {
    expect(kedaModuleVersion()).toMatch(/^v2\.\d+\.\d+$/);
    expect(kedaModuleVersion('require (\n\tgithub.com/kedacore/keda/v2 v2.21.0 // indirect\n)')).toBe('v2.21.0');
    expect(() => kedaModuleVersion('module x')).toThrow(/requires no github.com\/kedacore\/keda\/v2/);
  });

  it('gives the adapter an address Endpoints accept: never loopback', () => {
    const lo = { address: '127.0.0.1', family: 'IPv4', internal: true, netmask: '', mac: '', cidr: null } as const;
    const eth = { ...lo, address: '192.0.2.2', internal: false };
    const v6 = { ...eth, address: 'fd00::2', family: 'IPv6', scopeid: 0 } as const;
    expect(endpointAddress({ lo: [lo], eth0: [v6, eth] })).toBe('192.0.2.2');
    expect(() => endpointAddress({ lo: [lo] })).toThrow(/no non-loopback IPv4/);
  });

  it('registers the adapter for external.metrics.k8s.io behind a Service whose endpoint is this machine', () => {
    const objects = adapterObjects({ host: '192.0.2.2', port: 6443, caBundle: 'Q0E=' }) as { kind: string; [k: string]: unknown }[];
    expect(objects.map((o) => o.kind)).toEqual(['Namespace', 'Service', 'Endpoints', 'APIService']);
    const [, service, endpoints, apiService] = objects;
    expect(service).toMatchObject({ spec: { ports: [{ name: 'https', port: 443, targetPort: 6443 }] } });
    expect(service?.spec).not.toHaveProperty('selector');
    expect(endpoints).toMatchObject({ subsets: [{ addresses: [{ ip: '192.0.2.2' }], ports: [{ name: 'https', port: 6443 }] }] });
    expect(apiService).toMatchObject({
      metadata: { name: 'v1beta1.external.metrics.k8s.io' },
      spec: {
        group: 'external.metrics.k8s.io',
        version: 'v1beta1',
        caBundle: 'Q0E=',
        service: { name: 'keda-metrics-apiserver', namespace: 'keda', port: 443 },
      },
    });
  });
});
