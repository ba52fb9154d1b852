/**
 * The welfare split of one solved period (MODEL.md §6): consumer surplus, producer surplus and quota rents by region,
 * and each government's revenue (levies, ordinary duties, export taxes, less CfD payments and stock purchases), in
 * USD a year (a commodity's quantity unit times its price unit), summed over commodities.
 *
 * Every transfer the engine prices on a route is split out exactly as MODEL.md §3.3 and the engine (routeLevy, routeTermsOf) price
 * it: landed = ((p_from·(1 + ex) + λ + μ_from + freight)·(1 + av) + sp) + levy, with p_from the exporter's market
 * price, λ the rents of the export quotas covering the route, μ_from the exporter's export premium (its producers'
 * origin rent, part of what they earn), ex its export tax, av and sp the importer's ad valorem and specific duties.
 * The importer's buyers pay the landed price (its market price where goods flow); the exporter's producers get
 * p_from + μ_from, its treasury ex·p_from and its quota holders λ; the importer's treasury the duties and the levy;
 * freight is a cost. So the transfers cancel: summed over every region, the total is the value to consumers less
 * production costs, freight, and the stocks' net purchases.
 */
import { routeTermsOf } from '../equilibrium/build.ts';
import type { DemandCurve, EquilibriumProblem } from '../equilibrium/problem.ts';
import type { EquilibriumSolution } from '../equilibrium/solve.ts';
import { remembered } from '../memo.ts';
import { cfdPayment, earnedPricesIn, marketPricesIn, type PeriodLists, periodLists } from './statistics.ts';

/** The components of welfare, USD a year. */
export interface WelfareParts {
  /**
   * Σ over final-demand curves of ∫_p^P D(s) ds at the region's price p, P the curve's choke price (linear: its
   * intercept/slope; isoelastic without a choke: infinity, finite only for elasticity < −1). Demand rationed at the
   * choke adds nothing. Null where a curve has no finite surplus (see PeriodWelfare.notes). Its level depends on the
   * choke; the difference between two runs with the same curves does not (it is ∫ D between their prices).
   */
  readonly consumerSurplus: number | null;
  /**
   * Σ over producers of (what they receive − cash cost − Σ input coefficient × input price in their region) × output,
   * secondary producers buying no inputs; what they receive is the market price plus the export premium, and a CfD's
   * top-up. A smooth supply curve's ∫ S(s) ds up to its price.
   */
  readonly producerSurplus: number;
  /** Rents of export quotas: Σ λ × exports under the quota, to the exporting region. */
  readonly quotaRents: number;
  /** The border levy on imports from non-members, to the importing member. */
  readonly levies: number;
  /** Ordinary import duties (ad valorem on the CIF value, specific), to the importer. */
  readonly duties: number;
  /** Export taxes (rate × the exporter's market price × quantity), to the exporter. */
  readonly exportTaxes: number;
  /** CfD payments, by the treasury of the region whose producers receive them (an outlay, ≥ 0). */
  readonly cfdPayments: number;
  /**
   * Stockpile purchases less releases, at the price they trade at in the member holding them (bought at its market
   * price, released at what its exports earn: its market price plus export premium), an outlay of that member.
   */
  readonly stockNetPurchases: number;
  /** levies + duties + exportTaxes − cfdPayments − stockNetPurchases. */
  readonly governmentRevenue: number;
  /** consumerSurplus + producerSurplus + quotaRents + governmentRevenue; null where consumer surplus is. */
  readonly total: number | null;
}

export interface WelfareRow extends WelfareParts {
  readonly region: string;
}

export interface PeriodWelfare {
  /** Every region of the problem, in its order. */
  readonly byRegion: readonly WelfareRow[];
  /** Sums over the bloc's regions. */
  readonly bloc: WelfareParts;
  /** Sums over every region. */
  readonly world: WelfareParts;
  /** Why a consumer surplus is null, once per reason. */
  readonly notes: readonly string[];
}

/** Keys of the numeric components, in output order. */
export const WELFARE_PARTS = [
  'consumerSurplus',
  'producerSurplus',
  'quotaRents',
  'levies',
  'duties',
  'exportTaxes',
  'cfdPayments',
  'stockNetPurchases',
  'governmentRevenue',
  'total',
] as const satisfies readonly (keyof WelfareParts)[];

/**
 * Consumer surplus of one demand curve at price p: ∫_p^P D(s) ds, P the choke price; 0 at or above it. Undefined
 * where the integral diverges (isoelastic, no choke, elasticity ≥ −1).
 */
export function curveSurplus(curve: DemandCurve, p: number): number | undefined {
  if (curve.kind === 'linear') {
    const top = curve.intercept / curve.slope;
    if (!(p < top)) return 0;
    const from = Math.max(0, p);
    return (curve.slope * (top - from) ** 2) / 2;
  }
  const { q0, p0, elasticity: e, choke } = curve;
  // ∫ q0 (s/p0)^e ds = q0 p0 · (s/p0)^(e+1)/(e+1), or q0 p0 ln s at e = −1.
  const at = (s: number) => (e === -1 ? q0 * p0 * Math.log(s / p0) : (q0 * p0 * (s / p0) ** (e + 1)) / (e + 1));
  if (choke === undefined) return e < -1 ? -at(p) : undefined;
  return p < choke ? at(choke) - at(p) : 0;
}

/** Producer surplus of a smooth supply curve S(s) = max(0, a + b·s) at price p: ∫_0^p S(s) ds. */
function supplyCurveSurplus(intercept: number, slope: number, p: number): number {
  const from = Math.max(0, -intercept / slope);
  if (!(p > from)) return 0;
  const at = (s: number) => intercept * s + (slope * s * s) / 2;
  return at(p) - at(from);
}

interface Sums {
  consumerSurplus: number;
  nullSurplus: boolean;
  producerSurplus: number;
  quotaRents: number;
  levies: number;
  duties: number;
  exportTaxes: number;
  cfdPayments: number;
  stockNetPurchases: number;
}

const zero = (): Sums => ({
  consumerSurplus: 0,
  nullSurplus: false,
  producerSurplus: 0,
  quotaRents: 0,
  levies: 0,
  duties: 0,
  exportTaxes: 0,
  cfdPayments: 0,
  stockNetPurchases: 0,
});

function parts(s: Sums): WelfareParts {
  const governmentRevenue = s.levies + s.duties + s.exportTaxes - s.cfdPayments - s.stockNetPurchases;
  const consumerSurplus = s.nullSurplus ? null : s.consumerSurplus;
  return {
    consumerSurplus,
    producerSurplus: s.producerSurplus,
    quotaRents: s.quotaRents,
    levies: s.levies,
    duties: s.duties,
    exportTaxes: s.exportTaxes,
    cfdPayments: s.cfdPayments,
    stockNetPurchases: s.stockNetPurchases,
    governmentRevenue,
    total: consumerSurplus === null ? null : consumerSurplus + s.producerSurplus + s.quotaRents + governmentRevenue,
  };
}

function add(into: Sums, from: Sums): void {
  into.consumerSurplus += from.consumerSurplus;
  into.nullSurplus ||= from.nullSurplus;
  into.producerSurplus += from.producerSurplus;
  into.quotaRents += from.quotaRents;
  into.levies += from.levies;
  into.duties += from.duties;
  into.exportTaxes += from.exportTaxes;
  into.cfdPayments += from.cfdPayments;
  into.stockNetPurchases += from.stockNetPurchases;
}

/**
 * The welfare split of a solved period, by region and over `bloc` (MODEL.md §6). `lists`: the period's lists, where the
 * caller has them (its prices by region are then read from the maps the statistics read).
 */
export function periodWelfare(
  problem: EquilibriumProblem,
  solution: EquilibriumSolution,
  bloc: readonly string[],
  lists: PeriodLists = periodLists(problem, solution),
): PeriodWelfare {
  const priceAt = (k: string, r: string) => marketPricesIn(lists, k).get(r) ?? 0;
  const earnedAt = (k: string, r: string) => earnedPricesIn(lists, k).get(r) ?? 0;
  // The export premium itself, for the landed value a duty is charged on.
  const premium = new Map<string, Map<string, number>>();
  for (const p of solution.prices) remembered(premium, p.commodity, () => new Map()).set(p.region, p.exportPremium);
  const sums = new Map<string, Sums>();
  const at = (r: string): Sums => {
    let s = sums.get(r);
    if (!s) {
      s = zero();
      sums.set(r, s);
    }
    return s;
  };
  for (const r of problem.regions) at(r);
  const notes = new Set<string>();

  // Consumers.
  for (const d of problem.demands) {
    const cs = curveSurplus(d.curve, priceAt(d.commodity, d.region));
    if (cs === undefined) {
      at(d.region).nullSurplus = true;
      notes.add(
        `consumer surplus of ${d.commodity} in ${d.region} is not finite: an isoelastic curve without a choke price ` +
          `and elasticity ${(d.curve as { elasticity: number }).elasticity} (≥ −1) has no finite integral`,
      );
    } else at(d.region).consumerSurplus += cs;
  }

  // Producers: what they earn, less cash cost and inputs at their region's prices; a CfD's top-up is theirs and
  // their treasury's outlay.
  const inputsOf = new Map<string, { input: string; coefficient: number }[]>();
  for (const l of problem.links) {
    const list = inputsOf.get(l.output);
    if (list) list.push(l);
    else inputsOf.set(l.output, [l]);
  }
  const byId = new Map(problem.producers.map((p) => [p.id, p]));
  for (const o of solution.outputs) {
    const p = byId.get(o.producer);
    if (!p || o.output === 0) continue;
    const earned = earnedAt(p.commodity, p.region);
    let unit = earned - p.cost;
    if (!p.secondary)
      for (const l of inputsOf.get(p.commodity) ?? []) unit -= l.coefficient * priceAt(l.input, p.region);
    const topUp = p.cfd ? cfdPayment(p.cfd, o.output, earned) : 0;
    const s = at(p.region);
    s.producerSurplus += unit * o.output + topUp;
    s.cfdPayments += topUp;
  }
  for (const c of problem.supplies ?? []) {
    at(c.region).producerSurplus += supplyCurveSurplus(c.intercept, c.slope, earnedAt(c.commodity, c.region));
  }

  // Routes: export tax and quota rents to the exporter, duties and levy to the importer.
  const terms = routeTermsOf(problem.routes);
  const taxRate = new Map<string, Map<string, number>>();
  for (const e of problem.exportTaxes ?? []) remembered(taxRate, e.commodity, () => new Map()).set(e.origin, e.rate);
  const rentOf = new Map(solution.rents.map((r) => [r.restriction, r.rent]));
  const quotas = (problem.restrictions ?? []).filter((r) => r.quota > 0);
  for (const f of solution.flows) {
    if (f.quantity === 0) continue;
    const home = priceAt(f.commodity, f.from);
    const tax = (taxRate.get(f.commodity)?.get(f.from) ?? 0) * home;
    let rent = 0;
    for (const q of quotas) {
      if (q.commodity !== f.commodity || q.origin !== f.from) continue;
      if (q.destinations !== '*' && !q.destinations.includes(f.to)) continue;
      rent += rentOf.get(q.id) ?? 0;
    }
    const t = terms(f.commodity, f.from, f.to);
    const cif = home + tax + rent + (premium.get(f.commodity)?.get(f.from) ?? 0) + t.freight;
    const exporter = at(f.from);
    const importer = at(f.to);
    exporter.exportTaxes += tax * f.quantity;
    exporter.quotaRents += rent * f.quantity;
    importer.duties += (cif * t.adValorem + t.specific) * f.quantity;
    importer.levies += f.levy * f.quantity;
  }

  // Stockpiles: the holding member pays for purchases and is paid for releases.
  for (const s of solution.stocks) {
    const net = s.bought * priceAt(s.commodity, s.region) - s.released * earnedAt(s.commodity, s.region);
    at(s.region).stockNetPurchases += net;
  }

  const members = new Set(bloc);
  const blocSums = zero();
  const worldSums = zero();
  const byRegion: WelfareRow[] = [];
  for (const [region, s] of sums) {
    byRegion.push({ region, ...parts(s) });
    add(worldSums, s);
    if (members.has(region)) add(blocSums, s);
  }
  return { byRegion, bloc: parts(blocSums), world: parts(worldSums), notes: [...notes] };
}
