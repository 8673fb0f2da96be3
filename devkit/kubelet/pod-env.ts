/**
 * A container's environment as a kubelet computes it: envFrom first, then env (later wins),
 * `valueFrom` resolved from ConfigMaps, Secrets and the Pod's own fields, `$(VAR)` expanded.
 * Pure: the caller fetches the ConfigMaps and Secrets it names (`referencedObjects`).
 */
import type { V1ConfigMap, V1Container, V1Pod, V1Secret } from '@kubernetes/client-node';

export interface EnvSources {
  configMaps: Map<string, V1ConfigMap>;
  secrets: Map<string, V1Secret>;
}

/** Why a container cannot start yet, as the kubelet's CreateContainerConfigError says it. */
export class ContainerConfigError extends Error {
  override readonly name = 'ContainerConfigError';
}

/** The ConfigMaps and Secrets a container's env names, so the caller can read them first. */
export function referencedObjects(container: V1Container): { configMaps: Set<string>; secrets: Set<string> } {
  const configMaps = new Set<string>();
  const secrets = new Set<string>();
  for (const from of container.envFrom ?? []) {
    if (from.configMapRef?.name) configMaps.add(from.configMapRef.name);
    if (from.secretRef?.name) secrets.add(from.secretRef.name);
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom;
    if (ref?.configMapKeyRef?.name) configMaps.add(ref.configMapKeyRef.name);
    if (ref?.secretKeyRef?.name) secrets.add(ref.secretKeyRef.name);
  }
  return { configMaps, secrets };
}

function fieldValue(pod: V1Pod, path: string): string {
  const labels = /^metadata\.labels\['(.+)'\]$/.exec(path);
  if (labels?.[1]) return pod.metadata?.labels?.[labels[1]] ?? '';
  const annotations = /^metadata\.annotations\['(.+)'\]$/.exec(path);
  if (annotations?.[1]) return pod.metadata?.annotations?.[annotations[1]] ?? '';
  const fields: Record<string, string | undefined> = {
    'metadata.name': pod.metadata?.name,
    'metadata.namespace': pod.metadata?.namespace,
    'metadata.uid': pod.metadata?.uid,
    'spec.nodeName': pod.spec?.nodeName,
    'spec.serviceAccountName': pod.spec?.serviceAccountName,
    'status.hostIP': pod.status?.hostIP ?? '127.0.0.1',
    'status.podIP': pod.status?.podIP ?? '127.0.0.1',
  };
  if (!(path in fields)) throw new ContainerConfigError(`fieldRef ${path} is not supported by the local node agent`);
  return fields[path] ?? '';
}

const decode = (value: string) => Buffer.from(value, 'base64').toString('utf8');

/** `$(NAME)` refers to an earlier variable; `$$(NAME)` is a literal; unknown names stay as written. */
function expand(value: string, env: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) =>
    name === undefined ? '$' : (env[name] ?? match),
  );
}

export function containerEnv(pod: V1Pod, container: V1Container, sources: EnvSources): Record<string, string> {
  const env: Record<string, string> = {};
  const configMap = (name: string, optional: boolean | undefined) => {
    const found = sources.configMaps.get(name);
    if (!found && !optional) throw new ContainerConfigError(`configmap "${name}" not found`);
    return found;
  };
  const secret = (name: string, optional: boolean | undefined) => {
    const found = sources.secrets.get(name);
    if (!found && !optional) throw new ContainerConfigError(`secret "${name}" not found`);
    return found;
  };
  for (const from of container.envFrom ?? []) {
    const prefix = from.prefix ?? '';
    if (from.configMapRef) {
      for (const [k, v] of Object.entries(configMap(from.configMapRef.name ?? '', from.configMapRef.optional)?.data ?? {}))
        env[prefix + k] = v;
    }
    if (from.secretRef) {
      for (const [k, v] of Object.entries(secret(from.secretRef.name ?? '', from.secretRef.optional)?.data ?? {}))
        env[prefix + k] = decode(v);
    }
  }
  for (const variable of container.env ?? []) {
    const ref = variable.valueFrom;
    if (!ref) {
      env[variable.name] = expand(variable.value ?? '', env);
    } else if (ref.configMapKeyRef) {
      const { name = '', key, optional } = ref.configMapKeyRef;
      const value = configMap(name, optional)?.data?.[key];
      if (value === undefined && !optional)
        throw new ContainerConfigError(`couldn't find key ${key} in ConfigMap ${pod.metadata?.namespace}/${name}`);
      if (value !== undefined) env[variable.name] = value;
    } else if (ref.secretKeyRef) {
      const { name = '', key, optional } = ref.secretKeyRef;
      const value = secret(name, optional)?.data?.[key];
      if (value === undefined && !optional)
        throw new ContainerConfigError(`couldn't find key ${key} in Secret ${pod.metadata?.namespace}/${name}`);
      if (value !== undefined) env[variable.name] = decode(value);
    } else if (ref.fieldRef) {
      env[variable.name] = fieldValue(pod, ref.fieldRef.fieldPath);
    } else {
      throw new ContainerConfigError(`env ${variable.name}: resourceFieldRef is not supported by the local node agent`);
    }
  }
  return env;
}
