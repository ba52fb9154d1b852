// Types of the module hook in typescript-hooks.mjs (Node's `load` hook), for the tests that call it.
export function load(
  url: string,
  context: object,
  nextLoad: (url: string, context: object) => unknown,
): Promise<{ format: string; source: string | ArrayBuffer | Uint8Array; shortCircuit?: boolean }>;
