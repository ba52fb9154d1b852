/** What `remembered` keeps values in: a Map, or a WeakMap where the keys are objects that may be collected. */
interface Store<K, V> {
  get(key: K): V | undefined;
  set(key: K, value: V): unknown;
}

/**
 * The value `store` keeps under `key`, made by `make` the first time it is asked for. Two keys nest:
 * `remembered(remembered(outer, a, () => new Map()), b, make)`.
 */
export function remembered<K, V>(store: Store<K, V>, key: K, make: () => V): V {
  let value = store.get(key);
  if (value === undefined) {
    value = make();
    store.set(key, value);
  }
  return value;
}

/**
 * As `remembered`, for a Map that keeps only the `limit` most recently used keys: for caches whose keys a caller
 * chooses without bound (a long-lived process simulating scenario after scenario), where `remembered` would grow
 * for as long as the process lives.
 */
export function rememberedRecent<K, V>(store: Map<K, V>, key: K, make: () => V, limit: number): V {
  let value = store.get(key);
  if (value !== undefined) {
    // The most recently used last: the first key is the one to drop.
    store.delete(key);
    store.set(key, value);
    return value;
  }
  value = make();
  store.set(key, value);
  while (store.size > limit) store.delete(store.keys().next().value as K);
  return value;
}
