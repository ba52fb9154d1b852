// A worker thread of the ensemble pool (piscina). Module hooks registered on the main thread do not reach worker
// threads on Node 20: this bootstrap registers the TypeScript loader (bin/typescript.mjs), then imports the worker's
// code.
import '../../bin/typescript.mjs';

const worker = await import('./worker.ts');
export default worker.runChunk;
