/** The recommended Kubernetes labels; selectors use name + part-of, which never change. */
export function selectorLabels(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'eventide' };
}

export function labels(name: string, component: string): Record<string, string> {
  return { ...selectorLabels(name), 'app.kubernetes.io/component': component, 'app.kubernetes.io/managed-by': 'cdk8s' };
}

export const namespace = 'eventide';
