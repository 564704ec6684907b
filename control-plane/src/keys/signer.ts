// Which of the configured signing keys signs, and for whom. SIGNING_KEYS lists keys newest first. A
// new key signs only once promoted (every online agent pinned it, or an admin forced it): until then
// the newest promoted key signs, or, with none promoted, the oldest (the one agents enrolled with).
// A host that has not pinned the signing key yet (offline during the rotation) keeps getting
// commands signed with the newest key it does pin, so it keeps working until it acknowledges.
import type { PrivateJwk } from "../../../shared/signing.ts";

export function activeKey(keys: readonly PrivateJwk[], promoted: ReadonlySet<string>): PrivateJwk | undefined {
  return keys.find((key) => key.kid !== undefined && promoted.has(key.kid)) ?? keys.at(-1);
}

/**
 * `pinned`: the kids the host pins; undefined when unknown (enrolled before pins were recorded),
 * taken as the oldest key only.
 */
export function signerFor(keys: readonly PrivateJwk[], promoted: ReadonlySet<string>, pinned: ReadonlySet<string> | undefined): PrivateJwk | undefined {
  const active = activeKey(keys, promoted);
  const oldest = keys.at(-1);
  const has = (key: PrivateJwk): boolean => (pinned === undefined ? key === oldest : key.kid !== undefined && pinned.has(key.kid));
  if (active === undefined || has(active)) return active;
  return keys.find(has) ?? active;
}

/** Published keys the host does not pin yet: what a key-update must hand it. */
export function missingKids(keys: readonly PrivateJwk[], pinned: ReadonlySet<string> | undefined): string[] {
  const oldest = keys.at(-1);
  return keys.filter((key) => key.kid !== undefined && (pinned === undefined ? key !== oldest : !pinned.has(key.kid))).map((key) => key.kid as string);
}
