/**
 * The portfolio the members should back, from the appraisals: which projects are candidates at all, the MILP
 * (portfolio.ts) over the candidates, the efficient frontier, and for every project why it is in or out.
 *
 * Security, the objective, is one of (all in USD at base-year reference prices, summed over the simulated years):
 * - `lost` (default): consumption lost avoided — the fall in the bloc's lost consumption on the project's value chain
 *   when it is built, from simulations of the scenario with and without it;
 * - `lost-shocks`: the same counted only in the years a shock touches the chain (the critical years);
 * - `supply`: bloc supply added — the bloc production of the project's commodity it adds, valued.
 *
 * Cost, what backing takes from the budget, is one of:
 * - `support` (default): the fiscal cost of making it bankable under the zone — CfD payments on its output plus any
 *   remaining viability gap (a grant bringing its NPV to zero);
 * - `capital`: the present value of its capex (members finance it outright).
 * Either way a project bankable without support costs nothing and is not a candidate: it needs no backing. Both are
 * USD at the project's decision year; with `presentAt` (as `projects portfolio` runs) they are brought to the year
 * the budget is committed, so that a project decided later is not charged its later dollars at face value.
 */
import type { ProjectAppraisal } from './appraisal.ts';
import {
  budgetGrid,
  efficientFrontier,
  type FrontierPoint,
  type PortfolioCandidate,
  type PortfolioLimits,
  solvePortfolio,
} from './portfolio.ts';

export type SecurityMeasure = 'lost' | 'lost-shocks' | 'supply';
export type CostBasis = 'support' | 'capital';

export const SECURITY_MEASURES: Readonly<Record<SecurityMeasure, string>> = {
  lost: 'consumption lost avoided: the fall in the bloc’s lost consumption on the project’s value chain when it is built, USD at base-year reference prices summed over the years',
  'lost-shocks':
    'consumption lost avoided in the critical years: as `lost`, counting only the years a shock touches the chain',
  supply:
    'bloc supply added: the bloc production of its commodity the project adds, USD at base-year reference prices summed over the years',
};

export const COST_BASES: Readonly<Record<CostBasis, string>> = {
  support: 'support: CfD payments on its output plus any remaining viability gap, present value at the decision year',
  capital: 'capital: the present value of its capex at the decision year',
};

export type DecisionReason =
  | 'selected'
  | 'committed'
  | 'backed'
  | 'bankable'
  | 'no-gain'
  | 'over-budget'
  | 'over-limit'
  | 'dominated'
  | 'limit'
  | 'budget';

export interface ProjectDecision {
  readonly id: string;
  readonly name: string;
  readonly region: string;
  readonly chain: string;
  readonly commodity: string;
  readonly selected: boolean;
  readonly reason: DecisionReason;
  /** One sentence saying why, with the numbers. */
  readonly detail: string;
  /** What backing it would cost against the budget, USD (0 when it needs no backing). */
  readonly cost: number;
  /** Its contribution to the objective, USD. */
  readonly security: number;
  /** security / cost (null at zero cost). */
  readonly securityPerDollar: number | null;
}

export interface PlanOptions {
  readonly budget: number;
  readonly basis?: CostBasis;
  readonly security?: SecurityMeasure;
  /** Per-member (host region) spending limits, USD. */
  readonly regionLimits?: Readonly<Record<string, number>>;
  /** Per-mineral (value chain) spending limits, USD. */
  readonly mineralLimits?: Readonly<Record<string, number>>;
  /** Budgets on the frontier's grid (default 21, from zero to backing every candidate). */
  readonly frontierPoints?: number;
  /**
   * When the budget is committed (the analysis year) and the cost of capital: each project's cost is brought from its
   * decision year to it. Without it costs stay in USD at each project's decision year.
   */
  readonly presentAt?: PresentAt;
}

export interface PortfolioPlan {
  readonly budget: number;
  readonly basis: CostBasis;
  readonly basisDefinition: string;
  readonly security: SecurityMeasure;
  readonly securityDefinition: string;
  readonly limits: {
    readonly members: Readonly<Record<string, number>>;
    readonly minerals: Readonly<Record<string, number>>;
  };
  /** Ids of the projects to back. */
  readonly selected: readonly string[];
  /** What they cost against the budget, USD (never above it). */
  readonly totalCost: number;
  /** Their summed security, USD. */
  readonly objective: number;
  readonly unspent: number;
  /** Projects bankable without support: built without backing, at no cost. */
  readonly bankable: readonly string[];
  readonly decisions: readonly ProjectDecision[];
  readonly frontier: readonly FrontierPoint[];
}

export function securityOf(p: ProjectAppraisal, measure: SecurityMeasure): number {
  if (measure === 'lost') return p.security.consumptionLostAvoided;
  if (measure === 'lost-shocks') return p.security.consumptionLostAvoidedInShocks;
  return p.supplyValueAdded;
}

/** The year the budget is committed and the rate that brings each project's money to it. */
export interface PresentAt {
  readonly year: number;
  readonly costOfCapital: number;
}

/**
 * What backing a project costs against the budget: its support or capital, USD at its decision year, brought to
 * `presentAt.year` when given (a project decided later costs less of a budget committed now).
 */
export function costOf(p: ProjectAppraisal, basis: CostBasis, presentAt?: PresentAt): number {
  if (p.bankableWithoutSupport) return 0;
  const atDecision = basis === 'support' ? p.supportCost : p.capitalCost;
  if (!presentAt) return atDecision;
  return atDecision * (1 + presentAt.costOfCapital) ** -(p.decisionYear - presentAt.year);
}

const usd = (x: number) => {
  const a = Math.abs(x);
  const s = a >= 1e9 ? `${(a / 1e9).toFixed(2)} bn` : a >= 1e6 ? `${(a / 1e6).toFixed(1)} m` : a.toFixed(0);
  return `${x < 0 ? '-' : ''}USD ${s}`;
};

/** Solves the portfolio and explains every project's place in or out of it. */
export async function planPortfolio(
  appraisals: readonly ProjectAppraisal[],
  options: PlanOptions,
): Promise<PortfolioPlan> {
  const basis = options.basis ?? 'support';
  const measure = options.security ?? 'lost';
  const limits: PortfolioLimits = {
    budget: options.budget,
    ...(options.regionLimits ? { regions: options.regionLimits } : {}),
    ...(options.mineralLimits ? { minerals: options.mineralLimits } : {}),
  };
  const decisions = new Map<string, ProjectDecision>();
  const base = (p: ProjectAppraisal) => ({
    id: p.id,
    name: p.name,
    region: p.region,
    chain: p.chain,
    commodity: p.commodity,
  });
  const candidates: PortfolioCandidate[] = [];
  const byId = new Map(appraisals.map((p) => [p.id, p]));
  for (const p of appraisals) {
    const security = securityOf(p, measure);
    const cost = costOf(p, basis, options.presentAt);
    const ratio = cost > 0 ? security / cost : null;
    const decide = (reason: DecisionReason, detail: string, selected = false) =>
      decisions.set(p.id, { ...base(p), selected, reason, detail, cost, security, securityPerDollar: ratio });
    if (p.committed) {
      // Under construction, or ramping up (a status, not a thing a project is 'under').
      const stage = p.status === 'ramping' ? 'ramping up' : `under ${p.status}`;
      decide('committed', `${stage}: comes online in ${p.onlineYear} in every run, backed or not`);
    } else if (p.backedFrom !== null) {
      decide(
        'backed',
        `the scenario backs it already from ${p.backedFrom} (zone.backedProjects): its cost is in the scenario, not a call on this budget`,
      );
    } else if (p.bankableWithoutSupport) {
      decide(
        'bankable',
        `bankable without support (NPV ${usd(p.npvZoneMarket)} at the zone's market prices): needs no backing and costs nothing`,
      );
    } else if (!(security > 0)) {
      decide('no-gain', `adds no security on this measure (${usd(security)}): backing it buys nothing`);
    } else {
      candidates.push({ id: p.id, cost, security, region: p.region, mineral: p.chain });
    }
  }
  const best = await solvePortfolio(candidates, limits);
  if (!best) throw new Error('the empty portfolio is always feasible');
  const chosen = new Set(best.selected);
  const noSideLimits =
    Object.keys(limits.regions ?? {}).length + Object.keys(limits.minerals ?? {}).length > 0
      ? await solvePortfolio(candidates, { budget: limits.budget })
      : best;
  for (const c of candidates) {
    const p = byId.get(c.id) as ProjectAppraisal;
    const ratio = c.security / c.cost;
    const decide = (selected: boolean, reason: DecisionReason, detail: string) =>
      decisions.set(c.id, {
        ...base(p),
        selected,
        reason,
        detail,
        cost: c.cost,
        security: c.security,
        securityPerDollar: ratio,
      });
    if (chosen.has(c.id)) {
      const without = await solvePortfolio(candidates, limits, { exclude: [c.id] });
      const loss = best.objective - (without?.objective ?? 0);
      decide(
        true,
        'selected',
        `${ratio.toFixed(2)} of security per dollar; without it the best portfolio secures ${usd(loss)} less`,
      );
      continue;
    }
    if (c.cost > limits.budget) {
      decide(false, 'over-budget', `costs ${usd(c.cost)}, more than the whole budget of ${usd(limits.budget)}`);
      continue;
    }
    const regionLimit = limits.regions?.[c.region];
    const mineralLimit = limits.minerals?.[c.mineral];
    if (regionLimit !== undefined && c.cost > regionLimit) {
      decide(false, 'over-limit', `costs ${usd(c.cost)}, more than the limit for ${c.region} (${usd(regionLimit)})`);
      continue;
    }
    if (mineralLimit !== undefined && c.cost > mineralLimit) {
      decide(false, 'over-limit', `costs ${usd(c.cost)}, more than the limit for ${c.mineral} (${usd(mineralLimit)})`);
      continue;
    }
    const dominant = candidates.find(
      (o) =>
        o.id !== c.id &&
        chosen.has(o.id) &&
        o.cost <= c.cost &&
        o.security >= c.security &&
        (o.cost < c.cost || o.security > c.security),
    );
    if (dominant) {
      decide(
        false,
        'dominated',
        `${dominant.id} secures at least as much for no more (${usd(dominant.security)} for ${usd(dominant.cost)})`,
      );
      continue;
    }
    if (noSideLimits?.selected.includes(c.id)) {
      const spent = (key: 'region' | 'mineral', value: string) =>
        candidates.filter((o) => chosen.has(o.id) && o[key] === value).reduce((s, o) => s + o.cost, 0);
      const binding =
        regionLimit !== undefined && spent('region', c.region) + c.cost > regionLimit
          ? `the limit for ${c.region} (${usd(regionLimit)}, ${usd(spent('region', c.region))} used)`
          : mineralLimit !== undefined && spent('mineral', c.mineral) + c.cost > mineralLimit
            ? `the limit for ${c.mineral} (${usd(mineralLimit)}, ${usd(spent('mineral', c.mineral))} used)`
            : 'the per-member and per-mineral limits';
      decide(false, 'limit', `would be backed without ${binding}`);
      continue;
    }
    const forced = await solvePortfolio(candidates, limits, { force: [c.id] });
    decide(
      false,
      'budget',
      `the budget binds: backing it (${usd(c.cost)}, ${ratio.toFixed(2)} per dollar) leaves room for a portfolio securing ${usd(best.objective - (forced?.objective ?? 0))} less`,
    );
  }
  const frontier = await efficientFrontier(
    candidates,
    limits,
    budgetGrid(candidates, options.frontierPoints ?? 21, [limits.budget]),
  );
  return {
    budget: limits.budget,
    basis,
    basisDefinition: options.presentAt
      ? `${COST_BASES[basis]}, brought to ${options.presentAt.year} at ${(options.presentAt.costOfCapital * 100).toFixed(1)}%`
      : COST_BASES[basis],
    security: measure,
    securityDefinition: SECURITY_MEASURES[measure],
    limits: { members: { ...(limits.regions ?? {}) }, minerals: { ...(limits.minerals ?? {}) } },
    selected: best.selected,
    totalCost: best.totalCost,
    objective: best.objective,
    unspent: limits.budget - best.totalCost,
    bankable: appraisals.filter((p) => !p.committed && p.bankableWithoutSupport).map((p) => p.id),
    decisions: appraisals.map((p) => decisions.get(p.id) as ProjectDecision),
    frontier,
  };
}
