import type { k8s } from 'cdk8s-plus-27';

/** Every container runs as this: non-root, read-only root FS, no privilege, no capabilities. */
export function restrictedContainer(user: number): k8s.SecurityContext {
  return {
    runAsNonRoot: true,
    runAsUser: user,
    runAsGroup: user,
    readOnlyRootFilesystem: true,
    allowPrivilegeEscalation: false,
    privileged: false,
    capabilities: { drop: ['ALL'] },
    seccompProfile: { type: 'RuntimeDefault' },
  };
}

export function restrictedPod(user: number): k8s.PodSecurityContext {
  return { runAsNonRoot: true, runAsUser: user, runAsGroup: user, fsGroup: user, seccompProfile: { type: 'RuntimeDefault' } };
}
