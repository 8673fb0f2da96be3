/** Versions as tools print them, compared as numbers (1.10 is newer than 1.9). */

export interface Version {
  major: number;
  minor: number;
  patch: number;
}

/** The first x.y.z in a tool's output ("kind v0.33.0 go1.26.7 linux/amd64", "v1.37.0", "29.1.3"); none: undefined. */
export function parseVersion(text: string): Version | undefined {
  const match = /v?(\d+)\.(\d+)\.(\d+)/.exec(text);
  if (!match) return undefined;
  const [major, minor, patch] = match.slice(1, 4).map(Number) as [number, number, number];
  return { major, minor, patch };
}

export function compareVersions(a: Version, b: Version): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch;
}

export const formatVersion = (v: Version): string => `${v.major}.${v.minor}.${v.patch}`;

/** A kind node image reference, `kindest/node:v1.37.0@sha256:…`: the Kubernetes it runs. */
export function kindNodeImage(ref: string): { kubernetes: string; digest: string } {
  const match = /^kindest\/node:v(\d+\.\d+\.\d+)@(sha256:[a-f0-9]{64})$/.exec(ref);
  if (!match) throw new Error(`${ref} is not a kind node image pinned by tag and digest (kindest/node:vX.Y.Z@sha256:…)`);
  return { kubernetes: match[1] as string, digest: match[2] as string };
}
