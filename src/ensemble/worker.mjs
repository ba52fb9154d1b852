// A worker thread of the ensemble pool (piscina). Worker threads cannot load TypeScript under tsx on Node 20 by
// themselves: this bootstrap registers tsx's loader, then imports the worker's code.
import { register } from 'tsx/esm/api';

register();
const worker = await import('./worker.ts');
export default worker.runChunk;
