/**
 * Which projects to back: a 0–1 knapsack with side limits, solved as a MILP by HiGHS.
 *
 *   maximise   Σ security_i · x_i
 *   subject to Σ cost_i · x_i ≤ budget
 *              Σ_{i hosted in r} cost_i · x_i ≤ limit_r        for each per-member (host region) limit
 *              Σ_{i of mineral m} cost_i · x_i ≤ limit_m       for each per-mineral (value chain) limit
 *              x_i ∈ {0, 1}
 *
 * among portfolios of equal security, the cheapest (a second solve). HiGHS runs with a zero optimality gap, and the
 * answer is checked in exact arithmetic on the original numbers: a selection that exceeds the budget or a limit by
 * HiGHS's feasibility tolerance is cut off and the MILP re-solved, so the budget is never exceeded and a portfolio
 * that fits it exactly stays a candidate. The
 * efficient frontier re-solves over a grid of budgets. `bruteForcePortfolio` enumerates every subset: the
 * independent check of the MILP on small registers.
 */
import highsLoader from 'highs';

export interface PortfolioCandidate {
  readonly id: string;
  /** What backing it costs against the budget, USD (> 0). */
  readonly cost: number;
  /** What it adds to the objective (> 0). */
  readonly security: number;
  /** Host region (for per-member limits). */
  readonly region: string;
  /** Value chain (for per-mineral limits). */
  readonly mineral: string;
}

export interface PortfolioLimits {
  /** USD. */
  readonly budget: number;
  /** Largest spending on projects hosted in a region, USD. */
  readonly regions?: Readonly<Record<string, number>>;
  /** Largest spending on projects of a mineral (value chain), USD. */
  readonly minerals?: Readonly<Record<string, number>>;
}

export interface PortfolioChoice {
  /** Ids, in the candidates' order. */
  readonly selected: readonly string[];
  readonly totalCost: number;
  readonly objective: number;
}

export class PortfolioError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PortfolioError';
  }
}

type Highs = Awaited<ReturnType<typeof highsLoader>>;
let highsInstance: Promise<Highs> | undefined;
const loadHighs = (): Promise<Highs> => {
  highsInstance ??= highsLoader();
  return highsInstance;
};

/** Checks the inputs: finite positive costs and securities, non-negative budget and limits, unique ids. */
export function validatePortfolio(candidates: readonly PortfolioCandidate[], limits: PortfolioLimits): void {
  const ids = new Set<string>();
  for (const c of candidates) {
    if (ids.has(c.id)) throw new PortfolioError(`candidate '${c.id}' appears twice`);
    ids.add(c.id);
    if (!(Number.isFinite(c.cost) && c.cost > 0))
      throw new PortfolioError(`candidate '${c.id}': cost must be positive, got ${c.cost}`);
    if (!(Number.isFinite(c.security) && c.security > 0)) {
      throw new PortfolioError(`candidate '${c.id}': security must be positive, got ${c.security}`);
    }
  }
  if (!(Number.isFinite(limits.budget) && limits.budget >= 0)) {
    throw new PortfolioError(`the budget must be a non-negative amount, got ${limits.budget}`);
  }
  for (const [kind, table] of [
    ['member', limits.regions],
    ['mineral', limits.minerals],
  ] as const) {
    for (const [k, v] of Object.entries(table ?? {})) {
      if (!(Number.isFinite(v) && v >= 0))
        throw new PortfolioError(`the ${kind} limit for ${k} must be non-negative, got ${v}`);
    }
  }
}

interface Constraint {
  readonly name: string;
  readonly members: readonly number[];
  rhs: number;
}

function constraintsOf(candidates: readonly PortfolioCandidate[], limits: PortfolioLimits): Constraint[] {
  const all = candidates.map((_, i) => i);
  const out: Constraint[] = [{ name: 'budget', members: all, rhs: limits.budget }];
  for (const [r, v] of Object.entries(limits.regions ?? {})) {
    out.push({ name: `member ${r}`, members: all.filter((i) => candidates[i]?.region === r), rhs: v });
  }
  for (const [m, v] of Object.entries(limits.minerals ?? {})) {
    out.push({ name: `mineral ${m}`, members: all.filter((i) => candidates[i]?.mineral === m), rhs: v });
  }
  return out.filter((c) => c.members.length > 0);
}

const num = (x: number) => {
  if (!Number.isFinite(x)) throw new PortfolioError(`non-finite coefficient ${x}`);
  return x.toPrecision(17);
};

/**
 * The best portfolio, or null when none satisfies `force` (projects that must be in). `exclude` keeps projects out.
 */
export async function solvePortfolio(
  candidates: readonly PortfolioCandidate[],
  limits: PortfolioLimits,
  options: { readonly force?: readonly string[]; readonly exclude?: readonly string[] } = {},
): Promise<PortfolioChoice | null> {
  validatePortfolio(candidates, limits);
  const force = new Set(options.force ?? []);
  const exclude = new Set(options.exclude ?? []);
  const n = candidates.length;
  if (n === 0) return { selected: [], totalCost: 0, objective: 0 };
  const highs = await loadHighs();
  // USD millions keep the coefficients near 1.
  const scale = 1e6;
  const cost = candidates.map((c) => c.cost / scale);
  const sec = candidates.map((c) => c.security / scale);
  const constraints = constraintsOf(candidates, limits).map((c) => ({ ...c, rhs: c.rhs / scale }));
  const x = (i: number) => `x${i}`;
  const row = (c: Constraint) =>
    ` ${c.name.replace(/[^A-Za-z0-9]/g, '_')}_${constraints.indexOf(c)}: ${c.members.map((i) => `+ ${num(cost[i] as number)} ${x(i)}`).join(' ')} <= ${num(c.rhs)}`;
  const bounds = candidates.map((c, i) =>
    exclude.has(c.id) ? ` 0 <= ${x(i)} <= 0` : force.has(c.id) ? ` 1 <= ${x(i)} <= 1` : ` 0 <= ${x(i)} <= 1`,
  );
  // Sets HiGHS chose within its feasibility tolerance that exceed a bound in exact arithmetic: each is cut off
  // (with its supersets, which exceed the bound too, costs being positive), never a portfolio that fits.
  const cuts: string[] = [];
  const solve = (objective: string, sense: 'Maximize' | 'Minimize', extra: string[], feasible: boolean) => {
    const lp = `${sense}\n obj: ${objective}\nSubject To\n${[...constraints.map(row), ...cuts, ...extra].join('\n')}\nBounds\n${bounds.join('\n')}\nBinary\n ${candidates.map((_, i) => x(i)).join(' ')}\nEnd\n`;
    const options = {
      output_flag: false,
      mip_rel_gap: 0,
      mip_abs_gap: 0,
      mip_feasibility_tolerance: 1e-9,
      primal_feasibility_tolerance: 1e-9,
      time_limit: 60,
    };
    let r = highs.solve(lp, options as Parameters<Highs['solve']>[1]);
    // HiGHS's presolve can call a knapsack with an exact fit infeasible at these tolerances (a budget equal to one
    // project's cost, say), though the forced projects alone fit: solve again without it.
    if (r.Status === 'Infeasible' && feasible) {
      r = highs.solve(lp, { ...options, presolve: 'off' } as Parameters<Highs['solve']>[1]);
      if (r.Status === 'Infeasible') {
        throw new PortfolioError('HiGHS called the portfolio infeasible, though backing only the forced projects fits');
      }
    }
    if (r.Status === 'Infeasible') return null;
    if (r.Status !== 'Optimal') throw new PortfolioError(`HiGHS could not solve the portfolio: ${r.Status}`);
    return candidates.map((_, i) => Math.round((r.Columns[x(i)] as { Primal: number } | undefined)?.Primal ?? 0) === 1);
  };
  const linear = (coef: readonly number[]) => coef.map((c, i) => `+ ${num(c)} ${x(i)}`).join(' ');
  const exact = constraintsOf(candidates, limits);
  const fits = (on: readonly boolean[]) =>
    exact.every(
      (c) => c.members.reduce((s, i) => s + (on[i] ? (candidates[i] as PortfolioCandidate).cost : 0), 0) <= c.rhs,
    );
  // The forced projects alone (the cheapest portfolio that holds them) decide whether any portfolio fits.
  const forcedOnly = candidates.map((c) => force.has(c.id));
  if (candidates.some((c) => force.has(c.id) && exclude.has(c.id)) || !fits(forcedOnly)) return null;
  for (let attempt = 0; attempt < 50; attempt++) {
    const first = solve(linear(sec), 'Maximize', [], true) as boolean[];
    const best = first.reduce((s, on, i) => s + (on ? (sec[i] as number) : 0), 0);
    // Among the portfolios as secure as the best, the cheapest.
    const floor = best - Math.max(1e-9, Math.abs(best) * 1e-12);
    const second = solve(linear(cost), 'Minimize', [` security: ${linear(sec)} >= ${num(floor)}`], false) ?? first;
    const chosen = secureEnough(second, first, sec) ? second : first;
    // Exact check on the original numbers: a set HiGHS's tolerance let over a bound is cut off and the MILP solved
    // again (tightening the bound instead would also cut off a portfolio that fits it exactly).
    if (!fits(chosen)) {
      const members = chosen.flatMap((on, i) => (on ? [x(i)] : []));
      cuts.push(` cut_${cuts.length}: ${members.map((v) => `+ ${v}`).join(' ')} <= ${members.length - 1}`);
      continue;
    }
    const selected = candidates.filter((_, i) => chosen[i]);
    return {
      selected: selected.map((c) => c.id),
      totalCost: selected.reduce((s, c) => s + c.cost, 0),
      objective: selected.reduce((s, c) => s + c.security, 0),
    };
  }
  throw new PortfolioError('the portfolio could not be brought within the budget and limits');
}

function secureEnough(a: readonly boolean[], b: readonly boolean[], sec: readonly number[]): boolean {
  const total = (x: readonly boolean[]) => x.reduce((s, on, i) => s + (on ? (sec[i] as number) : 0), 0);
  return total(a) >= total(b) - Math.max(1e-9, Math.abs(total(b)) * 1e-12);
}

/**
 * Every subset, for small registers (≤ 22 candidates): the most secure feasible portfolio, the cheapest among ties.
 * The MILP's independent check.
 */
export function bruteForcePortfolio(
  candidates: readonly PortfolioCandidate[],
  limits: PortfolioLimits,
): PortfolioChoice {
  validatePortfolio(candidates, limits);
  const n = candidates.length;
  if (n > 22) throw new PortfolioError(`brute force is for small registers (${n} candidates)`);
  const constraints = constraintsOf(candidates, limits);
  let best: { mask: number; objective: number; cost: number } = { mask: 0, objective: 0, cost: 0 };
  for (let mask = 1; mask < 1 << n; mask++) {
    let objective = 0;
    let cost = 0;
    for (let i = 0; i < n; i++) {
      if (mask & (1 << i)) {
        objective += (candidates[i] as PortfolioCandidate).security;
        cost += (candidates[i] as PortfolioCandidate).cost;
      }
    }
    const feasible = constraints.every(
      (c) =>
        c.members.reduce((s, i) => s + (mask & (1 << i) ? (candidates[i] as PortfolioCandidate).cost : 0), 0) <= c.rhs,
    );
    if (!feasible) continue;
    if (objective > best.objective || (objective === best.objective && cost < best.cost))
      best = { mask, objective, cost };
  }
  const selected = candidates.filter((_, i) => best.mask & (1 << i));
  return { selected: selected.map((c) => c.id), totalCost: best.cost, objective: best.objective };
}

export interface FrontierPoint {
  readonly budget: number;
  readonly objective: number;
  readonly totalCost: number;
  readonly selected: readonly string[];
}

/** The efficient frontier: the best portfolio at each budget (the limits other than the budget kept). */
export async function efficientFrontier(
  candidates: readonly PortfolioCandidate[],
  limits: PortfolioLimits,
  budgets: readonly number[],
): Promise<FrontierPoint[]> {
  const out: FrontierPoint[] = [];
  for (const budget of [...new Set(budgets)].sort((a, b) => a - b)) {
    const choice = (await solvePortfolio(candidates, { ...limits, budget })) as PortfolioChoice;
    out.push({ budget, objective: choice.objective, totalCost: choice.totalCost, selected: choice.selected });
  }
  return out;
}

/**
 * A grid of budgets from zero to what backing every candidate costs (or to the largest of `extra`, if more), with
 * the `extra` budgets added.
 */
export function budgetGrid(
  candidates: readonly PortfolioCandidate[],
  points: number,
  extra: readonly number[] = [],
): number[] {
  const total = Math.max(
    candidates.reduce((s, c) => s + c.cost, 0),
    ...extra.filter((b) => Number.isFinite(b) && b >= 0),
  );
  const grid = Array.from({ length: Math.max(2, points) }, (_, i) => (total * i) / (Math.max(2, points) - 1));
  return [...new Set([...grid, ...extra.filter((b) => Number.isFinite(b) && b >= 0)])].sort((a, b) => a - b);
}
