/**
 * The symbolic part of a chain's model (build.ts): which variables exist, in which order, which conditions touch
 * which variables, the Jacobian's sparsity pattern and the index arrays the evaluation walks. It depends only on
 * the shape of the market — which producers, demand curves, stock operations, restrictions and floors there are,
 * and where — never on capacities, costs, quantities or prices, so it is built once and shared by every problem of
 * the same shape: the years of a simulation, the draws of an ensemble, the same world under a different floor level.
 * A chain's shape is a list of tokens (walkShape); structures are kept in a small cache, found by comparing it.
 */
import { remembered } from '../memo.ts';
import type { JacobianPattern } from './mcp.ts';
import type {
  Demand,
  EquilibriumProblem,
  ExportRestriction,
  Producer,
  StockOperation,
  SupplyCurve,
} from './problem.ts';

export type VariableKind = 'price' | 'output' | 'flow' | 'rent' | 'origin' | 'buy' | 'release';

/** Variable kinds as small integers (ChainStructure.kindCode), for loops over typed arrays. */
export const PRICE = 0;
export const OUTPUT = 1;
export const FLOW = 2;
export const RENT = 3;
export const ORIGIN = 4;
export const BUY = 5;
export const RELEASE = 6;
const KIND_CODE: Record<VariableKind, number> = {
  price: PRICE,
  output: OUTPUT,
  flow: FLOW,
  rent: RENT,
  origin: ORIGIN,
  buy: BUY,
  release: RELEASE,
};

/** A variable's identity; its bounds and scale are numbers of each problem (ChainModel.lower, .upper, .scale). */
export interface VariableInfo {
  readonly kind: VariableKind;
  readonly commodity: string;
  readonly region: string;
  /** Producer id (with '#uncovered' for the tranche beyond a CfD's volume), destination region, restriction id or stock id, by kind. */
  readonly ref: string;
  /**
   * The solver works with log(value / scale) instead of value / scale: for prices where isoelastic demand keeps the
   * price strictly positive, so the bound p >= 0 never binds and Newton sees a far less curved problem.
   */
  readonly logarithmic: boolean;
}

export interface NodeRef {
  readonly index: number;
  readonly commodity: string;
  readonly region: string;
}

export interface Link {
  readonly output: string;
  readonly input: string;
  readonly coefficient: number;
}

/** What of a problem one chain is made of, filtered and in the problem's order. */
export interface ChainInputs {
  readonly chain: readonly string[];
  readonly regions: readonly string[];
  /** The pooled market: every item in one region (POOLED_REGION), no restrictions, floors or routes. */
  readonly pooled: boolean;
  readonly links: readonly Link[];
  /** Producers of the chain with positive capacity. */
  readonly producers: readonly Producer[];
  readonly supplies: readonly SupplyCurve[];
  readonly demands: readonly Demand[];
  readonly stocks: readonly StockOperation[];
  readonly restrictions: readonly ExportRestriction[];
  readonly members: ReadonlySet<string>;
  /** Floor per 'commodity|member' (the problem's last entry for a key wins). */
  readonly floors: ReadonlyMap<string, number>;
  readonly exportTaxes: ReadonlyMap<string, number>;
  readonly routes: EquilibriumProblem['routes'];
}

export const POOLED_REGION = '*pooled*';

export const nodeKey = (k: string, r: string) => `${k}|${r}`;

/** The region an item sits in: its own, or the single one of the pooled market. */
export function regionIn(inputs: ChainInputs, item: { readonly region: string }): string {
  return inputs.pooled ? POOLED_REGION : item.region;
}

/** The inputs of every chain of a problem, in one pass over its lists. */
export function chainInputsOf(problem: EquilibriumProblem, chains: readonly (readonly string[])[]): ChainInputs[] {
  const chainOf = new Map<string, number>();
  chains.forEach((chain, c) => {
    for (const k of chain) chainOf.set(k, c);
  });
  const buckets = <T>(
    xs: readonly T[] | undefined,
    commodity: (x: T) => string,
    keep: (x: T) => boolean = () => true,
  ) => {
    const out: T[][] = chains.map(() => []);
    for (const x of xs ?? []) {
      const c = chainOf.get(commodity(x));
      if (c !== undefined && keep(x)) (out[c] as T[]).push(x);
    }
    return out;
  };
  const links = buckets(problem.links, (l) => l.output);
  const producers = buckets(
    problem.producers,
    (p) => p.commodity,
    (p) => p.capacity > 0,
  );
  const supplies = buckets(problem.supplies, (s) => s.commodity);
  const demands = buckets(problem.demands, (d) => d.commodity);
  const stocks = buckets(problem.stocks, (s) => s.commodity);
  const restrictions = buckets(problem.restrictions, (r) => r.commodity);
  const floors = chains.map(() => new Map<string, number>());
  for (const f of problem.floors ?? [])
    floors[chainOf.get(f.commodity) ?? -1]?.set(nodeKey(f.commodity, f.region), f.price);
  const exportTaxes = chains.map(() => new Map<string, number>());
  for (const e of problem.exportTaxes ?? [])
    exportTaxes[chainOf.get(e.commodity) ?? -1]?.set(nodeKey(e.commodity, e.origin), e.rate);
  const members = new Set(problem.members);
  return chains.map((chain, c) => ({
    chain,
    regions: problem.regions,
    pooled: false,
    links: links[c] as Link[],
    producers: producers[c] as Producer[],
    supplies: supplies[c] as SupplyCurve[],
    demands: demands[c] as Demand[],
    stocks: stocks[c] as StockOperation[],
    restrictions: restrictions[c] as ExportRestriction[],
    members,
    floors: floors[c] as Map<string, number>,
    exportTaxes: exportTaxes[c] as Map<string, number>,
    routes: problem.routes,
  }));
}

export function chainInputs(problem: EquilibriumProblem, chain: readonly string[]): ChainInputs {
  const inChain = new Set(chain);
  const floors = new Map<string, number>();
  for (const f of problem.floors ?? [])
    if (inChain.has(f.commodity)) floors.set(nodeKey(f.commodity, f.region), f.price);
  const exportTaxes = new Map<string, number>();
  for (const e of problem.exportTaxes ?? [])
    if (inChain.has(e.commodity)) exportTaxes.set(nodeKey(e.commodity, e.origin), e.rate);
  return {
    chain,
    regions: problem.regions,
    pooled: false,
    links: problem.links.filter((l) => inChain.has(l.output)),
    producers: problem.producers.filter((p) => inChain.has(p.commodity) && p.capacity > 0),
    supplies: (problem.supplies ?? []).filter((s) => inChain.has(s.commodity)),
    demands: problem.demands.filter((d) => inChain.has(d.commodity)),
    stocks: (problem.stocks ?? []).filter((s) => inChain.has(s.commodity)),
    restrictions: (problem.restrictions ?? []).filter((r) => inChain.has(r.commodity)),
    members: new Set(problem.members),
    floors,
    exportTaxes,
    routes: problem.routes,
  };
}

/** The pooled world market of a chain: one region, no trade costs, no restrictions. */
export function pooledInputs(inputs: ChainInputs): ChainInputs {
  return {
    ...inputs,
    regions: [POOLED_REGION],
    pooled: true,
    restrictions: [],
    members: new Set(),
    floors: new Map(),
    exportTaxes: new Map(),
    routes: undefined,
  };
}

/** The CfD tranches of a producer: [capacity, strike, ref]; only those with positive capacity become variables. */
export function tranchesOf(p: Producer): [number, number | undefined, string][] {
  if (!p.cfd) return [[p.capacity, undefined, p.id]];
  const covered = Math.min(p.capacity, p.cfd.volume ?? p.capacity);
  return [
    [covered, p.cfd.strike, p.id],
    [p.capacity - covered, undefined, `${p.id}#uncovered`],
  ];
}

const buys = (s: StockOperation) => Boolean(s.buyCap && s.buyCap > 0 && s.buyPrice !== undefined);
const releases = (s: StockOperation) => Boolean(s.releaseCap && s.releaseCap > 0 && s.releasePrice !== undefined);

/** A token of a chain's shape (see walkShape). */
type Token = string | number;

/**
 * A walk over the shape of a chain's inputs: it records the tokens (for a structure being built), hashes them (to
 * find the cached shapes that may match), or compares them with recorded ones as it goes (a lookup then allocates
 * nothing, and stops comparing at the first difference).
 */
class ShapeWalk {
  at = 0;
  same = true;
  hash = FNV_OFFSET;
  constructor(
    public tokens: Token[],
    private readonly mode: 'record' | 'hash' | 'compare',
  ) {}

  put(x: Token): void {
    if (this.mode === 'compare') {
      if (this.same) {
        if (this.tokens[this.at] !== x) this.same = false;
        this.at++;
      }
    } else if (this.mode === 'hash') {
      // FNV-1a over the tokens: a number as itself, a string as its own hash (stringHash).
      this.hash = Math.imul(this.hash ^ (typeof x === 'number' ? x | 0 : stringHash(x)), FNV_PRIME);
    } else this.tokens.push(x);
  }
}
const FNV_OFFSET = 0x811c9dc5 | 0;
const FNV_PRIME = 16777619;

/**
 * A string token's own FNV-1a hash, set apart from small numbers; remembered, as the same ids and region codes come
 * back in every problem (a Map finds a string by the hash V8 keeps in it).
 */
const stringHashes = new Map<string, number>();
function stringHash(x: string): number {
  let h = stringHashes.get(x);
  if (h === undefined) {
    h = Math.imul(FNV_OFFSET ^ (x.length + 0x40000000), FNV_PRIME);
    for (let i = 0; i < x.length; i++) h = Math.imul(h ^ x.charCodeAt(i), FNV_PRIME);
    if (stringHashes.size >= 100_000) stringHashes.clear();
    stringHashes.set(x, h);
  }
  return h;
}

/**
 * Everything the structure depends on, token by token (strings, counts and flags): two inputs that give the same
 * tokens have the same structure. Each list comes with its length first, so the tokens read back one way only.
 */
function walkShape(inputs: ChainInputs, w: ShapeWalk): void {
  const { pooled, chain, links, producers, supplies, demands, stocks, restrictions, floors, members } = inputs;
  w.put(pooled ? 1 : 0);
  w.put(chain.length);
  for (const k of chain) w.put(k);
  const regions = pooled ? POOLED_REGIONS : inputs.regions;
  w.put(regions.length);
  for (const r of regions) w.put(r);
  w.put(links.length);
  for (const l of links) {
    w.put(l.output);
    w.put(l.input);
  }
  if (!w.same) return;
  w.put(producers.length);
  for (const p of producers) {
    w.put(p.id);
    w.put(pooled ? POOLED_REGION : p.region);
    w.put(p.commodity);
    w.put(p.secondary ? 1 : 0);
    // Which tranches (tranchesOf) have positive capacity: the ones that become variables.
    let tranches = 0;
    if (p.cfd) {
      const covered = Math.min(p.capacity, p.cfd.volume ?? p.capacity);
      tranches = 1 + (covered > 0 ? 2 : 0) + (p.capacity - covered > 0 ? 4 : 0);
    } else if (!(p.capacity > 0)) tranches = 8;
    w.put(tranches);
  }
  w.put(supplies.length);
  for (const s of supplies) {
    w.put(pooled ? POOLED_REGION : s.region);
    w.put(s.commodity);
  }
  w.put(demands.length);
  for (const d of demands) {
    w.put(pooled ? POOLED_REGION : d.region);
    w.put(d.commodity);
    w.put(d.curve.kind === 'isoelastic' && d.curve.q0 > 0 ? 1 : 0);
  }
  if (!w.same) return;
  w.put(stocks.length);
  for (const s of stocks) {
    w.put(s.id);
    w.put(pooled ? POOLED_REGION : s.region);
    w.put(s.commodity);
    w.put((buys(s) ? 1 : 0) + (releases(s) ? 2 : 0) + (s.local ? 4 : 0));
  }
  w.put(restrictions.length);
  for (const r of restrictions) {
    w.put(r.id);
    w.put(r.origin);
    w.put(r.commodity);
    w.put(r.quota > 0 ? 1 : 0);
    if (r.destinations === '*') w.put(-1);
    else {
      w.put(r.destinations.length);
      for (const d of r.destinations) w.put(d);
    }
  }
  // Floors and members matter only where there are floors (a route into a member from a non-member meets its floor).
  w.put(floors.size);
  if (floors.size > 0) {
    for (const key of floors.keys()) w.put(key);
    w.put(members.size);
    for (const m of members) w.put(m);
  }
}

const POOLED_REGIONS: readonly string[] = [POOLED_REGION];

/** The shape of a chain's inputs, as tokens (see walkShape). */
function shapeOf(inputs: ChainInputs): Token[] {
  const w = new ShapeWalk([], 'record');
  walkShape(inputs, w);
  return w.tokens;
}

/** The walks reused by every lookup (a lookup runs to its end before the next begins). */
const comparing = new ShapeWalk([], 'compare');
const hashing = new ShapeWalk([], 'hash');

/** A hash of the shape of the inputs (equal shapes, equal hashes). */
function shapeHash(inputs: ChainInputs): number {
  hashing.hash = FNV_OFFSET;
  walkShape(inputs, hashing);
  return hashing.hash;
}

/** Whether the inputs have the recorded shape. */
function hasShape(inputs: ChainInputs, tokens: Token[]): boolean {
  comparing.tokens = tokens;
  comparing.at = 0;
  comparing.same = true;
  walkShape(inputs, comparing);
  const same = comparing.same && comparing.at === tokens.length;
  comparing.tokens = [];
  return same;
}

/** A producer's tranche with positive capacity: an output variable. */
export interface AgentShape {
  readonly variable: number;
  readonly node: number;
  /** Index into ChainInputs.producers. */
  readonly producer: number;
  /** 0: the whole producer; 1: the tranche a CfD covers; 2: the rest. */
  readonly tranche: 0 | 1 | 2;
  /** Producer id as the problem gives it (without the tranche suffix). */
  readonly id: string;
  readonly inputs: readonly { readonly node: number; readonly link: number }[];
}

export interface StockShape {
  readonly variable: number;
  readonly node: number;
  /** Index into ChainInputs.stocks. */
  readonly stock: number;
  /** +1: a release (adds supply); −1: a purchase (adds demand). */
  readonly sign: 1 | -1;
  /** A release for the node's own buyers only: outside its origin limit, never exported (StockOperation.local). */
  readonly local: boolean;
}

export interface RouteShape {
  readonly variable: number;
  readonly from: number;
  readonly to: number;
  /** The rents its landed cost carries: its quotas' and its origin's export premium. */
  readonly rents: readonly number[];
  /** Index into ChainStructure.floorKeys where a non-member ships into a member with a floor, else −1. */
  readonly floor: number;
  /** The condition is written log(landed) − log(p_to): where the destination's price is logarithmic. */
  readonly logForm: boolean;
}

export interface QuotaShape {
  readonly variable: number;
  /** Index into ChainInputs.restrictions. */
  readonly restriction: number;
  readonly routes: readonly number[];
}

/** Exports from a node are limited to what it makes itself (and releases from stock). */
export interface OriginShape {
  readonly variable: number;
  readonly node: number;
  readonly agents: readonly number[];
  readonly releases: readonly number[];
  readonly routes: readonly number[];
}

/** Index arrays of the conditions (see conditions.ts), with the Jacobian's pattern. */
export interface CompiledShape {
  readonly pattern: JacobianPattern;
  readonly originOf: Int32Array;
  // Demand: nodes, their slot on the diagonal, curves per node (index into ChainInputs.demands).
  readonly dNode: Int32Array;
  readonly dSlot: Int32Array;
  readonly dStart: Int32Array;
  readonly dCurve: Int32Array;
  // Supply curves: nodes (curves per node), slots.
  readonly sNode: Int32Array;
  readonly sStart: Int32Array;
  readonly sCurve: Int32Array;
  readonly sSlotNN: Int32Array;
  readonly sSlotNO: Int32Array;
  readonly sSlotON: Int32Array;
  readonly sSlotOO: Int32Array;
  // Producers.
  readonly aVar: Int32Array;
  readonly aNode: Int32Array;
  readonly aOrigin: Int32Array;
  readonly aSlotNQ: Int32Array;
  readonly aSlotQN: Int32Array;
  readonly aSlotQO: Int32Array;
  readonly aSlotQQ: Int32Array;
  readonly aInStart: Int32Array;
  readonly iNode: Int32Array;
  readonly iLink: Int32Array;
  readonly iSlotQI: Int32Array;
  readonly iSlotIQ: Int32Array;
  // Stock moves.
  readonly kVar: Int32Array;
  readonly kNode: Int32Array;
  readonly kOrigin: Int32Array;
  readonly kSign: Float64Array;
  readonly kSlotNV: Int32Array;
  readonly kSlotVN: Int32Array;
  readonly kSlotVO: Int32Array;
  // Routes.
  readonly rVar: Int32Array;
  readonly rFrom: Int32Array;
  readonly rTo: Int32Array;
  readonly rLog: Uint8Array;
  readonly rSlotTE: Int32Array;
  readonly rSlotFE: Int32Array;
  readonly rSlotEF: Int32Array;
  readonly rSlotET: Int32Array;
  readonly rSlotEE: Int32Array;
  readonly rRentStart: Int32Array;
  readonly eRentVar: Int32Array;
  readonly eRentSlot: Int32Array;
  // Origin limits.
  readonly oVar: Int32Array;
  readonly oStart: Int32Array;
  readonly oMember: Int32Array;
  readonly oSign: Float64Array;
  readonly oSlot: Int32Array;
  // Quotas.
  readonly qVar: Int32Array;
  readonly qStart: Int32Array;
  readonly qRoute: Int32Array;
  readonly qSlot: Int32Array;
}

export interface ChainStructure {
  readonly chain: readonly string[];
  /** The chain's commodities joined by '+': what a solve's chain states are kept under. */
  readonly chainKey: string;
  readonly pooled: boolean;
  readonly variables: readonly VariableInfo[];
  /** Per variable: index of its commodity in `chain`. */
  readonly commodityIndex: Int32Array;
  /** Per variable: its kind as a code (PRICE, OUTPUT, ...). */
  readonly kindCode: Uint8Array;
  readonly logarithmic: Uint8Array;
  /** Outputs, flows and stock moves: their conditions depend on no other eliminable variable (schur.ts). */
  readonly eliminable: Uint8Array;
  readonly blocks: Int32Array;
  readonly nodes: readonly NodeRef[];
  /** Per variable: 1 on price nodes that make (produce, supply, release) and that use (consume, feed, buy). */
  readonly makes: Uint8Array;
  readonly uses: Uint8Array;
  /** Demand curves per price node: indices into ChainInputs.demands. */
  readonly demandsAt: ReadonlyMap<number, readonly number[]>;
  /** Supply curves per price node: indices into ChainInputs.supplies. */
  readonly suppliesAt: ReadonlyMap<number, readonly number[]>;
  readonly agents: readonly AgentShape[];
  readonly stocks: readonly StockShape[];
  readonly quotas: readonly QuotaShape[];
  readonly origins: readonly OriginShape[];
  /** Per variable: the origin limit's variable of a price node, else −1. */
  readonly originOfNode: Int32Array;
  readonly routes: readonly RouteShape[];
  /** 'commodity|member' of each floor a route can meet. */
  readonly floorKeys: readonly string[];
  readonly compiled: CompiledShape;
  /** Whether the pooled market has more than one region to pool (else the pooled start is the start). */
  readonly poolable: boolean;
  /** Variable keys (variableKey), for carrying values over from a model of another structure. */
  readonly keys: readonly string[];
}

/** A variable's identity across models of the same chain (to carry a solution over as a starting point). */
export function variableKey(v: VariableInfo): string {
  return `${v.kind}|${v.commodity}|${v.region}|${v.ref}`;
}

/** Each structure's variables by identity (variableKey): built once per structure, which the cache keeps. */
const variableIndexes = new WeakMap<ChainStructure, Map<string, number>>();
export function variableIndex(structure: ChainStructure): Map<string, number> {
  return remembered(variableIndexes, structure, () => new Map(structure.keys.map((k, i) => [k, i])));
}

/** A structure's priced nodes (nodeKey): built once per structure, which the cache keeps. */
const pricedNodes = new WeakMap<ChainStructure, Set<string>>();
export function pricedNodesOf(structure: ChainStructure): Set<string> {
  return remembered(pricedNodes, structure, () => new Set(structure.nodes.map((n) => nodeKey(n.commodity, n.region))));
}

/** For each variable of `to`, the variable of `from` with the same identity (−1 where none): once per pair. */
const matches = new WeakMap<ChainStructure, WeakMap<ChainStructure, Int32Array>>();
export function matchOf(from: ChainStructure, to: ChainStructure): Int32Array {
  return remembered(
    remembered(matches, from, () => new WeakMap()),
    to,
    () => {
      const index = variableIndex(from);
      return Int32Array.from(to.keys, (k) => index.get(k) ?? -1);
    },
  );
}

/**
 * What the cache of structures may hold, counted in variables: a structure costs about 0.9 KB a variable with what
 * hangs on it (its conditions' index arrays, its Schur system, the bound models kept for reuse), so at most about
 * 180 MB. The draws of an ensemble bring a new shape now and then (an outage, a ban, a stockpile that empties) and
 * come back to most: 2,000 rare-earth draws × 16 years met 804 shapes. A cache of 256 structures, whatever their
 * size (as it was), rebuilt 1.1 structures a draw to the end (0.85 MB allocated of the draw's 4.1); this one rebuilds
 * 0.26 a draw over draws 1,750–2,000, and the heap holds 135 MB after them instead of 70. The least recently used go
 * beyond.
 */
const CACHE_VARIABLES = 200_000;
/** What an entry counts for beyond its variables (its shape's tokens, maps and arrays of its own). */
const ENTRY_OVERHEAD = 64;
interface CacheEntry {
  readonly hash: number;
  readonly shape: Token[];
  readonly structure: ChainStructure;
  readonly weight: number;
  used: number;
}
/**
 * Cached structures by the hash of their shape (an ensemble's draws bring hundreds of shapes: one walk to hash the
 * inputs, one to confirm the match, instead of a comparison with each).
 */
const cache = new Map<number, CacheEntry[]>();
let cachedWeight = 0;
let clock = 0;

/**
 * The entry each chain (by its first commodity, pooled or not) used last: the years of a simulation mostly keep a
 * chain's shape, so one comparison with it finds the structure without hashing the shape first.
 */
const lastUsed = new Map<string, CacheEntry>();

/** The structure of a chain's inputs, from the cache when a problem of the same shape was seen. */
export function structureOf(inputs: ChainInputs): ChainStructure {
  const chainKey = `${inputs.pooled ? 'pooled ' : ''}${inputs.chain[0] ?? ''}`;
  const last = lastUsed.get(chainKey);
  if (last && hasShape(inputs, last.shape)) {
    last.used = ++clock;
    return last.structure;
  }
  const hash = shapeHash(inputs);
  let bucket = cache.get(hash);
  if (bucket) {
    for (const entry of bucket) {
      if (hasShape(inputs, entry.shape)) {
        entry.used = ++clock;
        lastUsed.set(chainKey, entry);
        return entry.structure;
      }
    }
  } else {
    bucket = [];
    cache.set(hash, bucket);
  }
  const structure = buildStructure(inputs);
  const entry = {
    hash,
    shape: shapeOf(inputs),
    structure,
    weight: structure.variables.length + ENTRY_OVERHEAD,
    used: ++clock,
  };
  bucket.push(entry);
  lastUsed.set(chainKey, entry);
  cachedWeight += entry.weight;
  while (cachedWeight > CACHE_VARIABLES && evictOldest(entry));
  return structure;
}

/** Drops the least recently used entry other than `keep`; false when there is none. */
function evictOldest(keep: CacheEntry): boolean {
  let oldest: CacheEntry | undefined;
  let from: CacheEntry[] | undefined;
  for (const bucket of cache.values()) {
    for (const entry of bucket) {
      if (entry !== keep && (!oldest || entry.used < oldest.used)) {
        oldest = entry;
        from = bucket;
      }
    }
  }
  if (oldest && from) {
    from.splice(from.indexOf(oldest), 1);
    if (from.length === 0) cache.delete(oldest.hash);
    cachedWeight -= oldest.weight;
    return true;
  }
  return false;
}

/** What the cache of structures holds: entries, their weight in variables (with overheads), and its budget. */
export function structureCacheUse(): { entries: number; weight: number; budget: number } {
  let entries = 0;
  for (const bucket of cache.values()) entries += bucket.length;
  return { entries, weight: cachedWeight, budget: CACHE_VARIABLES };
}

/** Forgets every cached structure (tests compare a solve on fresh structures with one on cached ones). */
export function clearStructureCache(): void {
  cache.clear();
  lastUsed.clear();
  cachedWeight = 0;
}

function buildStructure(inputs: ChainInputs): ChainStructure {
  const { chain, links, producers, supplies, demands, stocks, restrictions, members } = inputs;
  const region = (x: { region: string }) => regionIn(inputs, x);
  const chainIndex = new Map(chain.map((k, i) => [k, i]));
  const variables: VariableInfo[] = [];
  const add = (v: VariableInfo) => variables.push(v) - 1;

  // Nodes: every region where a commodity is produced, demanded, stocked, or used as an input.
  const nodeIndex = new Map<string, number>();
  const nodes: NodeRef[] = [];
  const isoelastic = new Set<string>();
  for (const d of demands) {
    if (d.curve.kind === 'isoelastic' && d.curve.q0 > 0) isoelastic.add(nodeKey(d.commodity, region(d)));
  }
  const present = new Set<string>();
  for (const p of producers) present.add(nodeKey(p.commodity, region(p)));
  for (const s of supplies) present.add(nodeKey(s.commodity, region(s)));
  for (const d of demands) present.add(nodeKey(d.commodity, region(d)));
  for (const s of stocks) present.add(nodeKey(s.commodity, region(s)));
  for (const l of links) {
    for (const p of producers) if (p.commodity === l.output && !p.secondary) present.add(nodeKey(l.input, region(p)));
  }
  for (const k of chain) {
    for (const r of inputs.regions) {
      const nk = nodeKey(k, r);
      if (!present.has(nk)) continue;
      const index = add({ kind: 'price', commodity: k, region: r, ref: r, logarithmic: isoelastic.has(nk) });
      nodeIndex.set(nk, index);
      nodes.push({ index, commodity: k, region: r });
    }
  }
  const node = (k: string, r: string) => nodeIndex.get(nodeKey(k, r)) as number;

  const demandsAt = new Map<number, number[]>();
  demands.forEach((d, i) => {
    const at = node(d.commodity, region(d));
    const list = demandsAt.get(at);
    if (list) list.push(i);
    else demandsAt.set(at, [i]);
  });
  const suppliesAt = new Map<number, number[]>();
  supplies.forEach((s, i) => {
    const at = node(s.commodity, region(s));
    const list = suppliesAt.get(at);
    if (list) list.push(i);
    else suppliesAt.set(at, [i]);
  });

  const linksOf = new Map<string, number[]>();
  links.forEach((l, i) => {
    const list = linksOf.get(l.output);
    if (list) list.push(i);
    else linksOf.set(l.output, [i]);
  });
  const agents: AgentShape[] = [];
  producers.forEach((p, index) => {
    const r = region(p);
    const at = node(p.commodity, r);
    const agentInputs = p.secondary
      ? []
      : (linksOf.get(p.commodity) ?? []).map((l) => ({ node: node((links[l] as Link).input, r), link: l }));
    tranchesOf(p).forEach(([capacity, , ref], t) => {
      if (!(capacity > 0)) return;
      const variable = add({ kind: 'output', commodity: p.commodity, region: r, ref, logarithmic: false });
      const tranche = p.cfd ? ((t + 1) as 1 | 2) : 0;
      agents.push({ variable, node: at, producer: index, tranche, id: p.id, inputs: agentInputs });
    });
  });

  const stockShapes: StockShape[] = [];
  stocks.forEach((s, index) => {
    const r = region(s);
    const at = node(s.commodity, r);
    if (buys(s)) {
      const variable = add({ kind: 'buy', commodity: s.commodity, region: r, ref: s.id, logarithmic: false });
      stockShapes.push({ variable, node: at, stock: index, sign: -1, local: false });
    }
    if (releases(s)) {
      const variable = add({ kind: 'release', commodity: s.commodity, region: r, ref: s.id, logarithmic: false });
      stockShapes.push({ variable, node: at, stock: index, sign: 1, local: s.local === true });
    }
  });

  // Export quotas (a ban is a quota of 0 and closes its routes instead).
  const covers = (r: ExportRestriction, k: string, from: string, to: string) =>
    r.commodity === k && r.origin === from && (r.destinations === '*' || r.destinations.includes(to));
  const quotas: { restriction: ExportRestriction; index: number; variable: number; routes: number[] }[] = [];
  restrictions.forEach((r, index) => {
    if (r.quota <= 0) return;
    const variable = add({ kind: 'rent', commodity: r.commodity, region: r.origin, ref: r.id, logarithmic: false });
    quotas.push({ restriction: r, index, variable, routes: [] });
  });

  // Who trades: a node that makes nothing exports nothing, and a node that uses nothing (no demand, no downstream
  // producer, no vault) imports nothing — it could only pass the goods on, which the origin rule forbids.
  // A node that both makes and uses gets an origin limit: it may export no more than it makes.
  const makesSet = new Set<number>();
  const usesSet = new Set<number>();
  for (const a of agents) {
    makesSet.add(a.node);
    for (const input of a.inputs) usesSet.add(input.node);
  }
  for (const at of suppliesAt.keys()) makesSet.add(at);
  for (const at of demandsAt.keys()) usesSet.add(at);
  for (const s of stockShapes) {
    if (s.sign < 0) usesSet.add(s.node);
    else if (!s.local) makesSet.add(s.node);
  }
  const origins: { variable: number; node: number; agents: number[]; releases: number[]; routes: number[] }[] = [];
  const originByNode = new Map<number, (typeof origins)[number]>();
  for (const at of nodes) {
    if (!makesSet.has(at.index) || !usesSet.has(at.index)) continue;
    const agentsHere = agents.filter((a) => a.node === at.index).map((a) => a.variable);
    const releasesHere = stockShapes
      .filter((s) => s.node === at.index && s.sign > 0 && !s.local)
      .map((s) => s.variable);
    const variable = add({
      kind: 'origin',
      commodity: at.commodity,
      region: at.region,
      ref: at.region,
      logarithmic: false,
    });
    const limit = { variable, node: at.index, agents: agentsHere, releases: releasesHere, routes: [] as number[] };
    origins.push(limit);
    originByNode.set(at.index, limit);
  }

  // Routes between every ordered pair of nodes of a commodity, except those an export ban closes.
  const bans = restrictions.filter((r) => r.quota <= 0);
  const floorKeys: string[] = [];
  const floorSlot = new Map<string, number>();
  const routes: RouteShape[] = [];
  for (const from of nodes) {
    if (!makesSet.has(from.index)) continue;
    const origin = originByNode.get(from.index);
    const k = from.commodity;
    const fromQuotas = quotas.filter((q) => q.restriction.commodity === k && q.restriction.origin === from.region);
    const fromBans = bans.filter((r) => r.commodity === k && r.origin === from.region);
    for (const to of nodes) {
      if (k !== to.commodity || from.region === to.region || !usesSet.has(to.index)) continue;
      if (fromBans.some((r) => covers(r, k, from.region, to.region))) continue;
      const logForm = (variables[to.index] as VariableInfo).logarithmic;
      const variable = add({ kind: 'flow', commodity: k, region: from.region, ref: to.region, logarithmic: false });
      const rentsHere = fromQuotas.filter((q) => covers(q.restriction, k, from.region, to.region));
      const rents: number[] = rentsHere.map((q) => q.variable);
      if (origin) rents.push(origin.variable);
      let floor = -1;
      const fk = nodeKey(k, to.region);
      if (members.has(to.region) && !members.has(from.region) && inputs.floors.has(fk)) {
        floor = floorSlot.get(fk) ?? -1;
        if (floor < 0) {
          floor = floorKeys.push(fk) - 1;
          floorSlot.set(fk, floor);
        }
      }
      for (const q of rentsHere) q.routes.push(routes.length);
      origin?.routes.push(routes.length);
      routes.push({ variable, from: from.index, to: to.index, rents, floor, logForm });
    }
  }

  const n = variables.length;
  const commodityIndex = new Int32Array(n);
  const kindCode = new Uint8Array(n);
  const logarithmic = new Uint8Array(n);
  const eliminable = new Uint8Array(n);
  const makes = new Uint8Array(n);
  const uses = new Uint8Array(n);
  const originOfNode = new Int32Array(n).fill(-1);
  variables.forEach((v, i) => {
    commodityIndex[i] = chainIndex.get(v.commodity) ?? 0;
    kindCode[i] = KIND_CODE[v.kind];
    logarithmic[i] = v.logarithmic ? 1 : 0;
    eliminable[i] = v.kind !== 'price' && v.kind !== 'rent' && v.kind !== 'origin' ? 1 : 0;
  });
  for (const i of makesSet) makes[i] = 1;
  for (const i of usesSet) uses[i] = 1;
  for (const o of origins) originOfNode[o.node] = o.variable;
  const quotaShapes: QuotaShape[] = quotas.map((q) => ({
    variable: q.variable,
    restriction: q.index,
    routes: q.routes,
  }));
  const regionsHere = new Set<string>();
  for (const x of [...producers, ...demands, ...supplies, ...stocks]) regionsHere.add(region(x));
  return {
    chain,
    chainKey: chain.join('+'),
    pooled: inputs.pooled,
    variables,
    commodityIndex,
    kindCode,
    logarithmic,
    eliminable,
    blocks: Int32Array.from(commodityIndex),
    nodes,
    makes,
    uses,
    demandsAt,
    suppliesAt,
    agents,
    stocks: stockShapes,
    quotas: quotaShapes,
    origins,
    originOfNode,
    routes,
    floorKeys,
    compiled: compile(n, demandsAt, suppliesAt, originOfNode, agents, stockShapes, routes, origins, quotaShapes),
    poolable: !inputs.pooled && regionsHere.size > 1,
    keys: variables.map(variableKey),
  };
}

/** The conditions' index arrays and the Jacobian's pattern, slot by slot (see conditions.ts for what they mean). */
function compile(
  n: number,
  demandsAt: ReadonlyMap<number, readonly number[]>,
  suppliesAt: ReadonlyMap<number, readonly number[]>,
  originOf: Int32Array,
  agents: readonly AgentShape[],
  stocks: readonly StockShape[],
  routes: readonly RouteShape[],
  origins: readonly OriginShape[],
  quotas: readonly QuotaShape[],
): CompiledShape {
  const rows: number[] = [];
  const cols: number[] = [];
  const slot = (r: number, c: number) => {
    rows.push(r);
    cols.push(c);
    return rows.length - 1;
  };
  const ints = <T>(xs: readonly T[], f: (x: T) => number) => Int32Array.from(xs, f);
  const originAt = (at: number) => originOf[at] as number;

  const demandNodes = [...demandsAt.keys()];
  const dSlot = ints(demandNodes, (at) => slot(at, at));
  const dStart = new Int32Array(demandNodes.length + 1);
  const dCurve: number[] = [];
  demandNodes.forEach((at, k) => {
    dCurve.push(...(demandsAt.get(at) ?? []));
    dStart[k + 1] = dCurve.length;
  });

  const supplyNodes = [...suppliesAt.keys()];
  const sStart = new Int32Array(supplyNodes.length + 1);
  const sCurve: number[] = [];
  supplyNodes.forEach((at, k) => {
    sCurve.push(...(suppliesAt.get(at) ?? []));
    sStart[k + 1] = sCurve.length;
  });
  const sSlotNN = ints(supplyNodes, (at) => slot(at, at));
  const sSlotNO = ints(supplyNodes, (at) => (originAt(at) >= 0 ? slot(at, originAt(at)) : -1));
  const sSlotON = ints(supplyNodes, (at) => (originAt(at) >= 0 ? slot(originAt(at), at) : -1));
  const sSlotOO = ints(supplyNodes, (at) => (originAt(at) >= 0 ? slot(originAt(at), originAt(at)) : -1));

  const aSlotNQ = ints(agents, (a) => slot(a.node, a.variable));
  const aSlotQN = ints(agents, (a) => slot(a.variable, a.node));
  const aSlotQO = ints(agents, (a) => (originAt(a.node) >= 0 ? slot(a.variable, originAt(a.node)) : -1));
  const aSlotQQ = ints(agents, (a) => slot(a.variable, a.variable));
  const aInStart = new Int32Array(agents.length + 1);
  const iNode: number[] = [];
  const iLink: number[] = [];
  const iSlotQI: number[] = [];
  const iSlotIQ: number[] = [];
  agents.forEach((a, k) => {
    for (const input of a.inputs) {
      iNode.push(input.node);
      iLink.push(input.link);
      iSlotQI.push(slot(a.variable, input.node));
      iSlotIQ.push(slot(input.node, a.variable));
    }
    aInStart[k + 1] = iNode.length;
  });

  const kSlotNV = ints(stocks, (s) => slot(s.node, s.variable));
  const kSlotVN = ints(stocks, (s) => slot(s.variable, s.node));
  const kSlotVO = ints(stocks, (s) =>
    s.sign > 0 && !s.local && originAt(s.node) >= 0 ? slot(s.variable, originAt(s.node)) : -1,
  );

  const rSlotTE = ints(routes, (r) => slot(r.to, r.variable));
  const rSlotFE = ints(routes, (r) => slot(r.from, r.variable));
  const rSlotEF = ints(routes, (r) => slot(r.variable, r.from));
  const rSlotET = ints(routes, (r) => slot(r.variable, r.to));
  const rSlotEE = ints(routes, (r) => slot(r.variable, r.variable));
  const rRentStart = new Int32Array(routes.length + 1);
  const eRentVar: number[] = [];
  const eRentSlot: number[] = [];
  routes.forEach((r, k) => {
    for (const q of r.rents) {
      eRentVar.push(q);
      eRentSlot.push(slot(r.variable, q));
    }
    rRentStart[k + 1] = eRentVar.length;
  });

  const oStart = new Int32Array(origins.length + 1);
  const oMember: number[] = [];
  const oSign: number[] = [];
  const oSlot: number[] = [];
  origins.forEach((o, k) => {
    for (const a of o.agents) {
      oMember.push(a);
      oSign.push(1);
      oSlot.push(slot(o.variable, a));
    }
    for (const r of o.releases) {
      oMember.push(r);
      oSign.push(1);
      oSlot.push(slot(o.variable, r));
    }
    for (const ri of o.routes) {
      const e = (routes[ri] as RouteShape).variable;
      oMember.push(e);
      oSign.push(-1);
      oSlot.push(slot(o.variable, e));
    }
    oStart[k + 1] = oMember.length;
  });

  const qStart = new Int32Array(quotas.length + 1);
  const qRoute: number[] = [];
  const qSlot: number[] = [];
  quotas.forEach((q, k) => {
    for (const ri of q.routes) {
      const e = (routes[ri] as RouteShape).variable;
      qRoute.push(e);
      qSlot.push(slot(q.variable, e));
    }
    qStart[k + 1] = qRoute.length;
  });

  for (let t = 0; t < rows.length; t++) {
    if ((rows[t] as number) >= n || (cols[t] as number) >= n) throw new Error('internal: a slot outside the model');
  }
  return {
    pattern: { rows: Int32Array.from(rows), cols: Int32Array.from(cols) },
    originOf,
    dNode: Int32Array.from(demandNodes),
    dSlot,
    dStart,
    dCurve: Int32Array.from(dCurve),
    sNode: Int32Array.from(supplyNodes),
    sStart,
    sCurve: Int32Array.from(sCurve),
    sSlotNN,
    sSlotNO,
    sSlotON,
    sSlotOO,
    aVar: ints(agents, (a) => a.variable),
    aNode: ints(agents, (a) => a.node),
    aOrigin: ints(agents, (a) => originAt(a.node)),
    aSlotNQ,
    aSlotQN,
    aSlotQO,
    aSlotQQ,
    aInStart,
    iNode: Int32Array.from(iNode),
    iLink: Int32Array.from(iLink),
    iSlotQI: Int32Array.from(iSlotQI),
    iSlotIQ: Int32Array.from(iSlotIQ),
    kVar: ints(stocks, (s) => s.variable),
    kNode: ints(stocks, (s) => s.node),
    kOrigin: ints(stocks, (s) => (s.sign > 0 && !s.local ? originAt(s.node) : -1)),
    kSign: Float64Array.from(stocks, (s) => s.sign),
    kSlotNV,
    kSlotVN,
    kSlotVO,
    rVar: ints(routes, (r) => r.variable),
    rFrom: ints(routes, (r) => r.from),
    rTo: ints(routes, (r) => r.to),
    rLog: Uint8Array.from(routes, (r) => (r.logForm ? 1 : 0)),
    rSlotTE,
    rSlotFE,
    rSlotEF,
    rSlotET,
    rSlotEE,
    rRentStart,
    eRentVar: Int32Array.from(eRentVar),
    eRentSlot: Int32Array.from(eRentSlot),
    oVar: ints(origins, (o) => o.variable),
    oStart,
    oMember: Int32Array.from(oMember),
    oSign: Float64Array.from(oSign),
    oSlot: Int32Array.from(oSlot),
    qVar: ints(quotas, (q) => q.variable),
    qStart,
    qRoute: Int32Array.from(qRoute),
    qSlot: Int32Array.from(qSlot),
  };
}
