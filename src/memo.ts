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
