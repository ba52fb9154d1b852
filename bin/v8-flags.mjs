// V8 settings of the lodestone process: the executable and the benchmarks import this first (an ensemble's worker
// threads share the process's settings). They change how the heap is managed, never what is computed.
//
// Allocation-site pretenuring off. V8 allocates straight into the old generation the objects of an allocation site
// whose objects it has seen survive a young-generation collection. A solve's published solution (its prices, flows
// and outputs: about 100 KB for the default world) is made once and lives until the next solve, and V8 takes those
// sites for long-lived ones: the old generation then grows by about 6 MB between young collections, to be emptied by
// full collections, and each young collection takes 5–8 ms instead of 1.5–3. Measured on 1,000 solves of the default
// world: young-collection pauses 432 → 287 ms in all, full collections 4 → 1, the heap after each young collection
// steady at 33 MB instead of climbing to 100 MB; five alternated runs of 2,000 solves, median 5.05 → 4.06 ms a solve,
// and simulate.default 181 → 153 ms (three alternated runs). Ensemble draws, whose years' results do live for the
// whole draw, run the same either way (three alternated runs of 300 draws).
import { setFlagsFromString } from 'node:v8';

setFlagsFromString('--no-allocation-site-pretenuring');
