/**
 * The one documented difference between local mode and a cluster: there is no cluster DNS or Pod
 * network, so the Service addresses written in the manifests' env point at the local servers'
 * loopback ports instead, and each Pod's container ports become free loopback ports.
 */

/** A Service address of the chart and where it is on this machine. */
export interface ServiceAddress {
  /** The Service's short name, e.g. "postgres"; ".<namespace>.svc[.cluster.local]" forms match too. */
  service: string;
  namespace: string;
  port: number;
  local: { host: string; port: number };
}

function hostForms({ service, namespace }: ServiceAddress): string[] {
  // Longest first, so "x.ns.svc.cluster.local" is not rewritten as "x" followed by junk.
  return [`${service}.${namespace}.svc.cluster.local`, `${service}.${namespace}.svc`, `${service}.${namespace}`, service];
}

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * Rewrites one Pod's environment for this machine:
 * - `host:port` of a mapped Service anywhere in a value (also inside URLs and comma lists);
 * - a `<P>HOST` / `<P>PORT` pair (PGHOST/PGPORT) whose host is a mapped Service, as a pair;
 * - a value equal to one of the container's ports (PORT=8080) becomes the Pod's local port.
 */
export function localEnv(
  env: Record<string, string>,
  services: ServiceAddress[],
  containerPorts: Map<number, number>,
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(env)) {
    let next = value;
    for (const address of services) {
      for (const host of hostForms(address)) {
        const pattern = new RegExp(`(^|[/,@\\s])${escapeRegExp(host)}:${address.port}(?=$|[/,?\\s])`, 'g');
        next = next.replace(pattern, `$1${address.local.host}:${address.local.port}`);
      }
    }
    const asPort = /^\d+$/.test(value) ? containerPorts.get(Number(value)) : undefined;
    out[name] = asPort !== undefined ? String(asPort) : next;
  }
  for (const [name, value] of Object.entries(env)) {
    const prefix = /^(.*)HOST$/.exec(name)?.[1];
    if (prefix === undefined) continue;
    const address = services.find((a) => hostForms(a).includes(value));
    if (!address) continue;
    out[name] = address.local.host;
    const portName = `${prefix}PORT`;
    if (env[portName] === undefined || env[portName] === String(address.port)) out[portName] = String(address.local.port);
  }
  return out;
}

/** The table as lines for `make dev` and docs/local-mode.md: cluster address → local address. */
export function describeAddresses(services: ServiceAddress[]): string[] {
  return services.map((a) => `${a.service}.${a.namespace}.svc:${a.port} → ${a.local.host}:${a.local.port}`);
}
