/**
 * Which signing keys do what, from the stored keys and the time alone (pure). A new key is
 * published `publishLeadMs` before it signs, so every verifier's cached JWKS holds it by its
 * first token; a key that stopped signing stays published until the last token it signed has
 * expired, so no live token ever names a key the JWKS no longer has.
 */

/** A stored key as the plan sees it: times in epoch milliseconds. */
export interface PlannedKey {
  kid: string;
  createdAt: number;
  activatesAt: number;
}

export interface KeyPolicy {
  /** A key signs this long; then a successor is created (publishLeadMs before it takes over). */
  rotateAfterMs: number;
  /** How long a new key is published before it signs: more than a verifier caches the JWKS. */
  publishLeadMs: number;
  /** The longest a token lives: how long a retired key must still verify. */
  tokenLifetimeMs: number;
}

export interface KeyPlan {
  /** The key that signs now: the newest that has activated. Undefined only until one is created. */
  signing?: string;
  /** What the JWKS publishes, newest first: pending keys, the signing key, older keys that may still verify a live token. */
  published: string[];
  /** Keys no token can need any more: their private halves can go. */
  retired: string[];
  /** A key to create now, and when it starts signing. */
  create?: { activatesAt: number };
}

const byActivation = (a: PlannedKey, b: PlannedKey) =>
  a.activatesAt - b.activatesAt || a.createdAt - b.createdAt || a.kid.localeCompare(b.kid);

export function planKeys(keys: readonly PlannedKey[], now: number, policy: KeyPolicy): KeyPlan {
  const ordered = [...keys].sort(byActivation);
  const signingIndex = ordered.findLastIndex((k) => k.activatesAt <= now);
  const signing = ordered[signingIndex];
  const published: string[] = [];
  const retired: string[] = [];
  ordered.forEach((key, i) => {
    // An older key signed its last token when its successor activated; that token expires a lifetime later.
    const successor = ordered[i + 1];
    if (i >= signingIndex || (successor && now < successor.activatesAt + policy.tokenLifetimeMs)) published.push(key.kid);
    else retired.push(key.kid);
  });
  published.reverse();
  // Nothing signs yet (the first start): a key that signs at once, since no verifier can have cached a JWKS without it.
  if (!signing) return { published, retired, create: { activatesAt: now } };
  const pending = ordered.length - 1 > signingIndex;
  const due = now - signing.createdAt >= policy.rotateAfterMs && !pending;
  return { signing: signing.kid, published, retired, ...(due ? { create: { activatesAt: now + policy.publishLeadMs } } : {}) };
}
