/**
 * Demand that no supply can reach, found from the problem's structure before any iteration. An isoelastic curve
 * without a choke price asks for something at every price, so where nothing can be made in its region, released
 * there, or shipped there from a region that makes it (export controls can ban every such route: the origin rule
 * keeps a third country from passing on what it did not make), its price has no bound and the period no equilibrium.
 * An iterative solver meets this only as a price running off; far enough out, what such buyers still ask is within
 * any tolerance of nothing, and a point there could pass for a solution.
 */
import type { EquilibriumProblem } from './problem.ts';

export interface UnreachableDemand {
  readonly commodity: string;
  readonly region: string;
  /** The regions that could make the commodity (with their inputs) but are banned from shipping it to `region`. */
  readonly bannedOrigins: readonly string[];
}

/** The first isoelastic demand without a choke that no supply can reach, or undefined (the usual case: at once). */
export function unreachableDemand(problem: EquilibriumProblem): UnreachableDemand | undefined {
  // The usual case, at once: every isoelastic curve has a choke (the embedded data gives each one).
  if (!problem.demands.some((d) => d.curve.kind === 'isoelastic' && d.curve.choke === undefined)) return undefined;
  const { regions, commodities } = problem;
  const R = regions.length;
  const regionIndex = new Map(regions.map((r, i) => [r, i]));
  const commodityIndex = new Map(commodities.map((k, i) => [k, i]));
  /** The cell of commodity k in region r, or -1 for a name the problem does not list. */
  const cell = (k: string, r: string) => {
    const ki = commodityIndex.get(k);
    const ri = regionIndex.get(r);
    return ki === undefined || ri === undefined ? -1 : ki * R + ri;
  };
  const released = new Uint8Array(commodities.length * R);
  for (const s of problem.stocks ?? []) if ((s.releaseCap ?? 0) > 0) released[cell(s.commodity, s.region)] = 1;
  // Only curves without a ceiling can go unserved at every price; a choked curve is rationed (a local release).
  const open = problem.demands.filter(
    (d) =>
      d.curve.kind === 'isoelastic' &&
      d.curve.choke === undefined &&
      d.curve.q0 > 0 &&
      released[cell(d.commodity, d.region)] !== 1,
  );
  if (open.length === 0) return undefined;

  const inputsOf = commodities.map(() => [] as number[]);
  for (const l of problem.links) {
    const out = commodityIndex.get(l.output);
    const input = commodityIndex.get(l.input);
    if (out !== undefined && input !== undefined) inputsOf[out]?.push(input);
  }
  // Bans by commodity and origin: the destinations they close (every one: all set).
  const closed = new Map<number, Uint8Array>();
  for (const x of problem.restrictions ?? []) {
    const at = cell(x.commodity, x.origin);
    if (x.quota > 0 || at < 0) continue;
    const row = closed.get(at) ?? new Uint8Array(R);
    closed.set(at, row);
    if (x.destinations === '*') row.fill(1);
    else for (const d of x.destinations) if (regionIndex.has(d)) row[regionIndex.get(d) as number] = 1;
  }
  // Fixed point: where each commodity is made (a producer whose inputs are at hand, a supply curve, a release that
  // is not only for local buyers) and where it is at hand (made there, or shipped from where it is made).
  const made = new Uint8Array(commodities.length * R);
  const atHand = new Uint8Array(commodities.length * R);
  for (const c of problem.supplies ?? []) if (c.intercept > 0 || c.slope > 0) made[cell(c.commodity, c.region)] = 1;
  for (const s of problem.stocks ?? []) {
    if ((s.releaseCap ?? 0) > 0) (s.local ? atHand : made)[cell(s.commodity, s.region)] = 1;
  }
  const spread = () => {
    for (let k = 0; k < commodities.length; k++) {
      for (let s = 0; s < R; s++) {
        if (!made[k * R + s]) continue;
        const row = closed.get(k * R + s);
        for (let r = 0; r < R; r++) if (r === s || !row?.[r]) atHand[k * R + r] = 1;
      }
    }
  };
  const producers = problem.producers.filter((p) => p.capacity > 0);
  for (let changed = true; changed; ) {
    changed = false;
    spread();
    for (const p of producers) {
      const at = cell(p.commodity, p.region);
      if (at < 0 || made[at]) continue;
      const r = regionIndex.get(p.region) as number;
      const inputs = p.secondary ? [] : (inputsOf[commodityIndex.get(p.commodity) as number] ?? []);
      if (inputs.every((k) => atHand[k * R + r])) {
        made[at] = 1;
        changed = true;
      }
    }
  }
  const d = open.find((x) => !atHand[cell(x.commodity, x.region)]);
  if (!d) return undefined;
  const k = commodityIndex.get(d.commodity) as number;
  return {
    commodity: d.commodity,
    region: d.region,
    bannedOrigins: regions.filter((s, i) => s !== d.region && made[k * R + i]),
  };
}
