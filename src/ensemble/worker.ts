/**
 * The task of an ensemble worker: run a contiguous chunk of draws on this thread's engine (built once, as the thread
 * starts) and return their metrics packed in one vector per run, with their shocks, failures and timings.
 */
import { readFileSync } from 'node:fs';
import { workerData } from 'piscina';
import { DrawEngine, type EnsembleSetup } from './engine.ts';

/** Errors that fail one draw, recorded with it, rather than the run. */
const DRAW_FAILURES = new Set(['SimulationError', 'EquilibriumError', 'ModelInputError']);

export interface WorkerData {
  readonly setup: EnsembleSetup;
}

export interface ChunkTask {
  readonly start: number;
  readonly count: number;
  /** The main thread's fingerprint: a worker that reads different data or scenarios refuses to run. */
  readonly fingerprint: string;
}

export interface ChunkResult {
  readonly start: number;
  readonly count: number;
  /** count × layout.size values, draw by draw (a failed draw's slot is left NaN). */
  readonly scenario: Float64Array;
  readonly against?: Float64Array;
  /** 1 where the draw succeeded. */
  readonly ok: Uint8Array;
  /** Shocks of each draw, JSON ('' for a failed draw). */
  readonly shocks: string[];
  readonly failures: { draw: number; message: string }[];
  readonly simulateMs: Float64Array;
  readonly overheadMs: Float64Array;
  /** Years solved by the chunk's draws that succeeded, and their Newton iterations. */
  readonly equilibria: number;
  readonly iterations: number;
  /** Wall time of the chunk on the worker, ms. */
  readonly busyMs: number;
  /** CPU time of this worker thread during the chunk, ms (NaN where the system does not say). */
  readonly cpuMs: number;
}

/**
 * CPU time of the calling thread, ms, from Linux's /proc/thread-self/stat (user + system, in clock ticks of 10 ms):
 * unlike wall time it does not grow when other processes take the cores. NaN elsewhere.
 */
function threadCpuMs(): number {
  try {
    const stat = readFileSync('/proc/thread-self/stat', 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // Fields after the command: state is 3rd overall; utime and stime are the 14th and 15th.
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return Number.NaN;
  }
}

/**
 * The thread's engine, built as soon as the thread starts, central runs included: the pool starts before the main
 * thread has read the scenario and opened the store, so that this work overlaps it and the first task finds the
 * engine ready. A failure is kept for the first task to throw.
 */
const built = buildEngine();

function buildEngine(): { readonly engine: DrawEngine } | { readonly error: unknown } {
  let engine: DrawEngine;
  try {
    engine = new DrawEngine((workerData as WorkerData).setup);
  } catch (error) {
    return { error };
  }
  try {
    engine.central();
  } catch {
    // A central run that fails fails every draw: the draws meet the error again and report it as theirs.
  }
  return { engine };
}

function theEngine(fingerprint: string): DrawEngine {
  if ('error' in built) throw built.error;
  if (built.engine.fingerprint !== fingerprint) {
    throw new Error(
      'a worker read different data or scenarios than the main thread (did a file change during the run?)',
    );
  }
  return built.engine;
}

export function runChunk(task: ChunkTask): ChunkResult {
  const t0 = performance.now();
  const e = theEngine(task.fingerprint);
  const cpu0 = threadCpuMs();
  const size = e.layout.size;
  const scenario = new Float64Array(task.count * size).fill(Number.NaN);
  const against = e.against ? new Float64Array(task.count * size).fill(Number.NaN) : undefined;
  const ok = new Uint8Array(task.count);
  const shocks: string[] = [];
  const failures: ChunkResult['failures'] = [];
  const simulateMs = new Float64Array(task.count);
  const overheadMs = new Float64Array(task.count);
  let equilibria = 0;
  let iterations = 0;
  for (let i = 0; i < task.count; i++) {
    const draw = task.start + i;
    try {
      const outcome = e.run(draw, scenario, against, i * size);
      ok[i] = 1;
      shocks.push(JSON.stringify(outcome.shocks));
      simulateMs[i] = outcome.simulateMs;
      overheadMs[i] = outcome.overheadMs;
      equilibria += outcome.equilibria;
      iterations += outcome.iterations;
    } catch (error) {
      // An equilibrium that fails in one draw is recorded, not fatal: the run goes on and reports it. So is a policy
      // that the draw's data make impossible (ModelInputError: a reference price built on a drawn cost beyond any
      // floor), which the central run, on central data, has shown is not the scenario's own fault. Anything else
      // (bad input, a bug) stops the run.
      if (!(error instanceof Error) || !DRAW_FAILURES.has(error.name)) throw error;
      shocks.push('');
      failures.push({ draw, message: error.message });
    }
  }
  return {
    start: task.start,
    count: task.count,
    scenario,
    ...(against ? { against } : {}),
    ok,
    shocks,
    failures,
    simulateMs,
    overheadMs,
    equilibria,
    iterations,
    busyMs: performance.now() - t0,
    cpuMs: threadCpuMs() - cpu0,
  };
}
