import { Chart } from 'cdk8s';
import type { IConstruct } from 'constructs';

/** The recommended Kubernetes labels; selectors use name + part-of, which never change. */
export function selectorLabels(name: string): Record<string, string> {
  return { 'app.kubernetes.io/name': name, 'app.kubernetes.io/part-of': 'eventide' };
}

export function labels(name: string, component: string): Record<string, string> {
  return { ...selectorLabels(name), 'app.kubernetes.io/component': component, 'app.kubernetes.io/managed-by': 'cdk8s' };
}

/** The namespace of a chart whose values name none (and of a unit test's Chart without one). */
export const defaultNamespace = 'eventide';

/**
 * The namespace a construct's objects live in: its Chart's (the values' `namespace`), so no
 * construct needs a prop for it; a Chart without one (a unit test's) gets the default.
 */
export const namespaceOf = (scope: IConstruct): string => Chart.of(scope).namespace ?? defaultNamespace;
