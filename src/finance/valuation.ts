/**
 * A project's cash flows, NPV, IRR and incentive price on a market path (MODEL.md §4: the incentive price covers cash
 * cost plus capital recovered at the cost of capital over the life). Conventions, all real (constant USD):
 *
 * - the valuation date is the investment decision, `onlineYear − leadTime`; capex is spent in equal parts over the
 *   lead-time years before first output (at the decision year itself when the lead time is zero);
 * - output ramps up linearly over `rampYears` to nameplate, as in the simulation, and runs for `life` years;
 * - each year the project earns the price its region's producers get (buyers' price plus any origin rent), plus the
 *   CfD top-up max(0, strike − price) on the output a contract covers (its volume, else all) where one covers its
 *   commodity and region and the caller counts it;
 *   it pays its cash cost and, unless integrated, its inputs at its region's price (stage links);
 * - a year whose price does not cover cash cost and inputs is a year shut in: no output, no operating cash flow;
 * - beyond the simulated years the last year's prices hold, and its contracts to the end of their terms (`until`);
 *   before them, the first year's;
 * - flows fall at the end of each year and are discounted at the cost of capital to the decision year;
 * - they are before tax and royalties, unlevered, with no working capital, sustaining capex or closure cost.
 *
 * Everything takes a list of market paths — one per Monte Carlo draw, or a single deterministic path — and reports
 * expectations over them (mean NPV, mean CfD payments, share of draws losing money).
 */
import { type InternalRate, internalRate, lowestRoot, npv } from './cashflow.ts';
import type { MarketPath } from './trace.ts';

export interface ProjectTerms {
  readonly id: string;
  readonly commodity: string;
  /** Model region where it produces and buys its inputs. */
  readonly region: string;
  /** Nameplate capacity per year, commodity unit. */
  readonly capacity: number;
  /** USD. */
  readonly capex: number;
  /** Commodity price unit, excluding inputs. */
  readonly cashCost: number;
  readonly leadTime: number;
  readonly life: number;
  readonly onlineYear: number;
  /** Years from first output to nameplate (≥ 1; 1 = full output in the first year). */
  readonly rampYears: number;
  /** Real discount rate per year. */
  readonly costOfCapital: number;
  /** Upstream commodities bought per unit of output (empty for an integrated project). */
  readonly inputs: readonly { readonly commodity: string; readonly coefficient: number }[];
}

/** What a project sees in one year: the price its producers earn, its input cost per unit, any CfD strike. */
export interface ProjectYearMarket {
  readonly price: number;
  readonly inputCost: number;
  readonly strike: number | null;
  /** The output per year the CfD covers, commodity unit (absent: all of it). */
  readonly volume?: number;
}

/** A project's view of one market path, year by year (held flat outside the simulated years). */
export type ProjectMarket = (year: number) => ProjectYearMarket;

export interface CashFlowYear {
  readonly year: number;
  /** Output sold, commodity unit. */
  readonly output: number;
  /** Price earned per unit before any CfD top-up. */
  readonly price: number;
  /** CfD top-up per unit (0 without a contract or when the price is above the strike). */
  readonly topUp: number;
  /** USD: output × price. */
  readonly revenue: number;
  /** USD: CfD payments received. */
  readonly cfd: number;
  /** USD: output × cash cost. */
  readonly operatingCost: number;
  /** USD: output × inputs bought. */
  readonly inputCost: number;
  /** USD: capital spent this year. */
  readonly capex: number;
  /** USD: revenue + cfd − operating cost − input cost − capex. */
  readonly net: number;
}

export function decisionYear(terms: Pick<ProjectTerms, 'onlineYear' | 'leadTime'>): number {
  return terms.onlineYear - Math.max(0, Math.round(terms.leadTime));
}

/** The project's view of a market path: its commodity in its region, its inputs there, a CfD that covers it. */
export function projectMarket(terms: ProjectTerms, path: MarketPath): ProjectMarket {
  if (path.years.length === 0) throw new RangeError('a market path needs at least one year');
  const byYear = new Map(path.years.map((y) => [y.year, y]));
  const first = path.years[0] as MarketPath['years'][number];
  const last = path.years[path.years.length - 1] as MarketPath['years'][number];
  const cache = new Map<number, ProjectYearMarket>();
  // The first contract in the year's list that covers the project, as in the equilibrium (world.ts, coveringCfd): a
  // producer takes one strike, that of the first contract in the scenario's order, not the highest.
  const covers = (c: MarketPath['years'][number]['cfds'][number]) =>
    c.commodity === terms.commodity && c.regions.includes(terms.region);
  const held = (year: number): ProjectYearMarket => {
    const y = year < first.year ? first : year > last.year ? last : byYear.get(year);
    if (!y) throw new RangeError(`the market path has no year ${year}`);
    let m = cache.get(y.year);
    if (m) return m;
    const at = `${terms.commodity}|${terms.region}`;
    const buyers = y.prices.get(at);
    if (buyers === undefined) {
      throw new RangeError(`the market path has no price of ${terms.commodity} in ${terms.region} in ${y.year}`);
    }
    const price = buyers + (y.premia.get(at) ?? 0);
    let inputCost = 0;
    for (const i of terms.inputs) inputCost += i.coefficient * (y.prices.get(`${i.commodity}|${terms.region}`) ?? 0);
    const contract = y.cfds.find(covers);
    const strike = contract?.strike ?? null;
    const volume = contract?.volume;
    m = { price, inputCost, strike, ...(volume !== undefined ? { volume } : {}) };
    cache.set(y.year, m);
    return m;
  };
  return (year) => {
    const m = held(year);
    if (year <= last.year) return m;
    // Past the path the prices hold on, a contract only to the end of its term.
    const contract = last.cfds.find((c) => covers(c) && (c.until === null || c.until >= year));
    const strike = contract?.strike ?? null;
    const volume = contract?.volume;
    if (strike === m.strike && volume === m.volume) return m;
    return { price: m.price, inputCost: m.inputCost, strike, ...(volume !== undefined ? { volume } : {}) };
  };
}

/** Year-by-year cash flows from the decision year to the end of the life. */
export function cashFlows(terms: ProjectTerms, market: ProjectMarket, options: { cfd: boolean }): CashFlowYear[] {
  const lead = Math.max(0, Math.round(terms.leadTime));
  const start = terms.onlineYear - lead;
  const life = Math.max(1, Math.round(terms.life));
  const ramp = Math.max(1, terms.rampYears);
  const out: CashFlowYear[] = [];
  for (let year = start; year < terms.onlineYear + life; year++) {
    const capex = lead === 0 ? (year === start ? terms.capex : 0) : year < terms.onlineYear ? terms.capex / lead : 0;
    let output = 0;
    let price = 0;
    let topUp = 0;
    let unitInputs = 0;
    let cfd = 0;
    if (year >= terms.onlineYear) {
      const m = market(year);
      price = m.price;
      unitInputs = m.inputCost;
      const full = terms.capacity * Math.min(1, (year - terms.onlineYear + 1) / ramp);
      const contract = options.cfd && m.strike !== null;
      topUp = contract ? Math.max(0, (m.strike as number) - m.price) : 0;
      // The CfD covers its volume of the output (all of it without one), as the equilibrium's covered tranche; output
      // whose price, with the top-up where covered, does not pay cash cost and inputs is shut in.
      const covered = contract ? Math.min(full, m.volume ?? full) : 0;
      const runsCovered = price + topUp - terms.cashCost - unitInputs >= 0 ? covered : 0;
      const runsUncovered = price - terms.cashCost - unitInputs >= 0 ? full - covered : 0;
      output = runsCovered + runsUncovered;
      cfd = runsCovered * topUp;
    }
    const revenue = output * price;
    const operatingCost = output * terms.cashCost;
    const inputCost = output * unitInputs;
    out.push({
      year,
      output,
      price,
      topUp,
      revenue,
      cfd,
      operatingCost,
      inputCost,
      capex,
      net: revenue + cfd - operatingCost - inputCost - capex,
    });
  }
  return out;
}

/** Present value at the decision year of a series of yearly amounts (index 0 = decision year). */
export function presentValue(terms: Pick<ProjectTerms, 'costOfCapital'>, amounts: readonly number[]): number {
  return npv(terms.costOfCapital, amounts);
}

export interface Valuation {
  /** Expected NPV over the paths, USD at the decision year. */
  readonly npv: number;
  /** IRR of the expected cash flows. */
  readonly irr: InternalRate;
  /** Expected present value of the CfD payments the project receives (0 when CfDs are not counted). */
  readonly cfdPayments: number;
  /** Share of paths on which the NPV is negative. */
  readonly probabilityOfLoss: number;
  /** Expected cash flows, year by year. */
  readonly cashFlows: readonly CashFlowYear[];
  readonly paths: number;
}

/** Values a project over market paths (one per draw), counting CfD top-ups or not. */
export function valueProject(
  terms: ProjectTerms,
  markets: readonly ProjectMarket[],
  options: { cfd: boolean },
): Valuation {
  if (markets.length === 0) throw new RangeError('valueProject needs at least one market path');
  const runs = markets.map((m) => cashFlows(terms, m, options));
  const values = runs.map((flows) =>
    presentValue(
      terms,
      flows.map((f) => f.net),
    ),
  );
  const cfdValues = runs.map((flows) =>
    presentValue(
      terms,
      flows.map((f) => f.cfd),
    ),
  );
  const n = runs.length;
  const first = runs[0] as CashFlowYear[];
  const mean: CashFlowYear[] = first.map((f, t) => {
    const avg = (pick: (x: CashFlowYear) => number) => runs.reduce((s, r) => s + pick(r[t] as CashFlowYear), 0) / n;
    return {
      year: f.year,
      output: avg((x) => x.output),
      price: avg((x) => x.price),
      topUp: avg((x) => x.topUp),
      revenue: avg((x) => x.revenue),
      cfd: avg((x) => x.cfd),
      operatingCost: avg((x) => x.operatingCost),
      inputCost: avg((x) => x.inputCost),
      capex: avg((x) => x.capex),
      net: avg((x) => x.net),
    };
  });
  return {
    npv: values.reduce((s, v) => s + v, 0) / n,
    irr: internalRate(mean.map((f) => f.net)),
    cfdPayments: cfdValues.reduce((s, v) => s + v, 0) / n,
    probabilityOfLoss: values.filter((v) => v < 0).length / n,
    cashFlows: mean,
    paths: n,
  };
}

/**
 * Incentive price: the constant price at which the expected NPV is zero, with inputs bought along the paths and no
 * CfD. The NPV rises with the price (more margin, fewer years shut in), so the lowest root is found by bisection.
 * Null when no price up to a million times the cash cost pays back the capital (a life of zero output, say).
 */
export function incentivePrice(terms: ProjectTerms, markets: readonly ProjectMarket[]): number | null {
  const at = (p: number) =>
    markets.reduce((s, m) => {
      const flat: ProjectMarket = (year) => ({ price: p, inputCost: m(year).inputCost, strike: null });
      return (
        s +
        presentValue(
          terms,
          cashFlows(terms, flat, { cfd: false }).map((f) => f.net),
        )
      );
    }, 0) / markets.length;
  const floor = terms.cashCost;
  const hi = Math.max(1, terms.cashCost * 2 + terms.capex / Math.max(terms.capacity, 1e-12));
  return lowestRoot(at, Math.min(floor, hi), hi);
}
