/** The portfolio MILP against brute force, its bounds, and the reasons the plan gives for every project. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { ProjectAppraisal } from '../../src/finance/appraisal.ts';
import { costOf, planPortfolio } from '../../src/finance/plan.ts';
import {
  bruteForcePortfolio,
  budgetGrid,
  efficientFrontier,
  type PortfolioCandidate,
  PortfolioError,
  type PortfolioLimits,
  solvePortfolio,
} from '../../src/finance/portfolio.ts';
import { appraisal } from './fixtures.ts';

const c = (id: string, cost: number, security: number, region = 'USA', mineral = 'lithium'): PortfolioCandidate => ({
  id,
  cost,
  security,
  region,
  mineral,
});

describe('solvePortfolio', () => {
  it('solves a hand-checked knapsack: costs 3, 4, 5 and securities 4, 5, 6 under a budget of 8 → the first and the third', async () => {
    const cands = [c('a', 3e6, 4e6), c('b', 4e6, 5e6), c('c', 5e6, 6e6)];
    // {a, b} secures 9 for 7; {a, c} 10 for 8; {b, c} costs 9 > 8.
    const r = await solvePortfolio(cands, { budget: 8e6 });
    expect(r).toEqual({ selected: ['a', 'c'], totalCost: 8e6, objective: 10e6 });
  });
  it('keeps to per-member and per-mineral limits', async () => {
    const cands = [c('a', 3e6, 4e6, 'USA'), c('b', 4e6, 5e6, 'EU27', 'rare-earths'), c('c', 5e6, 6e6, 'USA')];
    const members = await solvePortfolio(cands, { budget: 20e6, regions: { USA: 6e6 } });
    expect(members?.selected).toEqual(['b', 'c']);
    const minerals = await solvePortfolio(cands, { budget: 20e6, minerals: { lithium: 4e6 } });
    expect(minerals?.selected).toEqual(['a', 'b']);
  });
  it('forces and excludes projects on request, and says when forcing cannot be done', async () => {
    const cands = [c('a', 3e6, 4e6), c('b', 4e6, 5e6), c('c', 5e6, 6e6)];
    expect((await solvePortfolio(cands, { budget: 8e6 }, { force: ['b'] }))?.selected).toEqual(['a', 'b']);
    expect((await solvePortfolio(cands, { budget: 8e6 }, { exclude: ['c'] }))?.selected).toEqual(['a', 'b']);
    expect(await solvePortfolio(cands, { budget: 8e6 }, { force: ['b', 'c'] })).toBeNull();
  });
  it('among equally secure portfolios takes the cheapest', async () => {
    const cands = [c('dear', 9e6, 5e6), c('cheap', 2e6, 5e6)];
    expect((await solvePortfolio(cands, { budget: 10e6 }))?.selected).toEqual(['cheap']);
  });
  it('backs nothing with a zero budget, and everything when the budget covers it', async () => {
    const cands = [c('a', 3e6, 4e6), c('b', 4e6, 5e6)];
    expect(await solvePortfolio(cands, { budget: 0 })).toEqual({ selected: [], totalCost: 0, objective: 0 });
    expect((await solvePortfolio(cands, { budget: 7e6 }))?.selected).toEqual(['a', 'b']);
    expect(await solvePortfolio([], { budget: 1 })).toEqual({ selected: [], totalCost: 0, objective: 0 });
  });
  it('never exceeds a budget that an exact fit would cross by a rounding', async () => {
    // 0.1 + 0.2 > 0.3 in floating point: the pair does not fit a budget of 0.3 (USD millions).
    const cands = [c('a', 0.1e6, 1e6), c('b', 0.2e6, 1e6)];
    const budget = 0.1e6 + 0.2e6 - 1e-9;
    const r = await solvePortfolio(cands, { budget });
    expect(r?.totalCost).toBeLessThanOrEqual(budget);
    expect(r?.selected).toHaveLength(1);
  });
  it('solves a budget that exactly fits one project, where HiGHS’s presolve wrongly reports the knapsack infeasible', async () => {
    // Found by brute force over random registers: with presolve on and a 1e-9 feasibility tolerance HiGHS says
    // 'Infeasible' here, though backing nothing is always feasible; the solver returned null and planPortfolio
    // failed with 'the empty portfolio is always feasible'. The best is one of the two 100m projects (800m secured).
    const cands = [
      c('p0', 200000000.11208618, 7e8),
      c('p1', 100000000.07666965, 8e8),
      c('p2', 800000000.5873318, 7e8),
      c('p3', 500000000.1897138, 3e8),
      c('p4', 9e8, 6e8),
      c('p5', 200000000.00453436, 2e8),
      c('p6', 1000000000.6627239, 2e8),
      c('p7', 100000000.08299468, 8e8),
      c('p8', 3e8, 6e8),
    ];
    const budget = 200000000.11208618;
    const r = await solvePortfolio(cands, { budget });
    const brute = bruteForcePortfolio(cands, { budget });
    expect(r).not.toBeNull();
    expect(r?.objective).toBe(brute.objective);
    expect(r?.objective).toBe(8e8);
    expect(r?.totalCost).toBeLessThanOrEqual(budget);
    const plan = await planPortfolio(
      cands.map((x) =>
        appraisal({ id: x.id, supportCost: x.cost, lost: x.security } as Parameters<typeof appraisal>[0]),
      ),
      { budget, frontierPoints: 2 },
    );
    expect(plan.objective).toBe(8e8);
  });
  it('refuses bad input: a non-positive cost, a negative budget, a duplicated id', async () => {
    await expect(solvePortfolio([c('a', 0, 1)], { budget: 1 })).rejects.toThrow(PortfolioError);
    await expect(solvePortfolio([c('a', 1, 1)], { budget: -1 })).rejects.toThrow(/non-negative/);
    await expect(solvePortfolio([c('a', 1, 1), c('a', 2, 2)], { budget: 1 })).rejects.toThrow(/twice/);
    await expect(solvePortfolio([c('a', 1, 1)], { budget: 1, regions: { USA: Number.NaN } })).rejects.toThrow(/limit/);
  });

  const register = fc
    .array(
      fc.record({
        cost: fc.double({ min: 1e5, max: 2e9, noNaN: true }),
        security: fc.double({ min: 1e3, max: 5e9, noNaN: true }),
        region: fc.constantFrom('USA', 'EU27', 'JPN', 'AUS'),
        mineral: fc.constantFrom('lithium', 'rare-earths', 'gallium'),
      }),
      { minLength: 0, maxLength: 9 },
    )
    .map((xs) => xs.map((x, i) => ({ ...x, id: `p${i}` })));
  const limits = fc.record({
    budget: fc.double({ min: 0, max: 8e9, noNaN: true }),
    regions: fc.dictionary(fc.constantFrom('USA', 'EU27'), fc.double({ min: 0, max: 4e9, noNaN: true })),
    minerals: fc.dictionary(fc.constantFrom('lithium', 'gallium'), fc.double({ min: 0, max: 4e9, noNaN: true })),
  });

  it('property: matches brute force on small random registers, and never exceeds the budget or a limit', async () => {
    await fc.assert(
      fc.asyncProperty(register, limits, async (cands, lim: PortfolioLimits) => {
        const milp = (await solvePortfolio(cands, lim)) as NonNullable<Awaited<ReturnType<typeof solvePortfolio>>>;
        const brute = bruteForcePortfolio(cands, lim);
        const chosen = cands.filter((x) => milp.selected.includes(x.id));
        const spent = (keep: (x: PortfolioCandidate) => boolean) => chosen.filter(keep).reduce((s, x) => s + x.cost, 0);
        expect(milp.objective).toBeCloseTo(brute.objective, -1);
        expect(Math.abs(milp.objective - brute.objective)).toBeLessThanOrEqual(1e-9 * Math.max(1, brute.objective));
        expect(milp.totalCost).toBeLessThanOrEqual(lim.budget);
        for (const [r, v] of Object.entries(lim.regions ?? {}))
          expect(spent((x) => x.region === r)).toBeLessThanOrEqual(v);
        for (const [m, v] of Object.entries(lim.minerals ?? {}))
          expect(spent((x) => x.mineral === m)).toBeLessThanOrEqual(v);
        expect(milp.totalCost).toBe(spent(() => true));
      }),
      { numRuns: 120 },
    );
  });
  it('property: matches brute force when the budget is exactly what some portfolio costs', async () => {
    await fc.assert(
      fc.asyncProperty(register, fc.array(fc.boolean(), { minLength: 9, maxLength: 9 }), async (cands, pick) => {
        const budget = cands.reduce((s, x, i) => s + (pick[i] ? x.cost : 0), 0);
        const milp = await solvePortfolio(cands, { budget });
        const brute = bruteForcePortfolio(cands, { budget });
        expect(milp).not.toBeNull();
        expect(Math.abs((milp?.objective ?? 0) - brute.objective)).toBeLessThanOrEqual(
          1e-9 * Math.max(1, brute.objective),
        );
        expect(milp?.totalCost).toBeLessThanOrEqual(budget);
      }),
      { numRuns: 150 },
    );
  });
});

describe('efficientFrontier', () => {
  it('rises with the budget and matches a solve at each budget', async () => {
    const cands = [c('a', 3e6, 4e6), c('b', 4e6, 5e6), c('c', 5e6, 6e6)];
    const budgets = budgetGrid(cands, 5, [8e6]);
    expect(budgets[0]).toBe(0);
    expect(budgets.at(-1)).toBe(12e6);
    expect(budgetGrid([], 3, [4e6])).toEqual([0, 2e6, 4e6]);
    expect(budgets).toContain(8e6);
    const frontier = await efficientFrontier(cands, { budget: 0 }, budgets);
    for (let i = 1; i < frontier.length; i++) {
      expect(frontier[i]?.objective).toBeGreaterThanOrEqual(frontier[i - 1]?.objective ?? 0);
      expect(frontier[i]?.totalCost).toBeLessThanOrEqual(frontier[i]?.budget ?? 0);
    }
    expect(frontier.find((f) => f.budget === 8e6)?.objective).toBe(10e6);
    expect(frontier.at(-1)?.selected).toEqual(['a', 'b', 'c']);
  });
});

describe('planPortfolio', () => {
  it('says why each project is in or out', async () => {
    const projects = [
      appraisal({ id: 'BEST', supportCost: 2e8, lost: 9e8 } as Partial<ProjectAppraisal> & { id: string }),
      appraisal({ id: 'GOOD', supportCost: 3e8, lost: 6e8 } as Partial<ProjectAppraisal> & { id: string }),
      appraisal({ id: 'WORSE', supportCost: 4e8, lost: 5e8 } as Partial<ProjectAppraisal> & { id: string }),
      appraisal({ id: 'HUGE', supportCost: 9e9, lost: 9e9 } as Partial<ProjectAppraisal> & { id: string }),
      appraisal({ id: 'ZERO', supportCost: 1e8, lost: 0 } as Partial<ProjectAppraisal> & { id: string }),
      appraisal({
        id: 'FREE',
        bankableWithoutSupport: true,
        npvZoneMarket: 5e8,
        supportCost: 0,
        lost: 7e8,
      } as Partial<ProjectAppraisal> & { id: string }),
      appraisal({ id: 'BUILDING', committed: true, status: 'construction', lost: 3e8 } as Partial<ProjectAppraisal> & {
        id: string;
      }),
      // Backed by the scenario already: as secure per dollar as BEST, yet no call on this budget.
      appraisal({ id: 'BACKED', backedFrom: 2026, supportCost: 1e8, lost: 5e8 } as Partial<ProjectAppraisal> & {
        id: string;
      }),
    ];
    const plan = await planPortfolio(projects, { budget: 6e8, frontierPoints: 5 });
    const why = Object.fromEntries(plan.decisions.map((d) => [d.id, d.reason]));
    expect(plan.selected).toEqual(['BEST', 'GOOD']);
    expect(plan.totalCost).toBe(5e8);
    expect(plan.objective).toBe(15e8);
    expect(why).toEqual({
      BEST: 'selected',
      GOOD: 'selected',
      WORSE: 'dominated',
      HUGE: 'over-budget',
      ZERO: 'no-gain',
      FREE: 'bankable',
      BUILDING: 'committed',
      BACKED: 'backed',
    });
    expect(plan.bankable).toEqual(['FREE']);
    expect(plan.decisions.find((d) => d.id === 'FREE')?.cost).toBe(0);
    expect(plan.frontier.at(-1)?.selected.length).toBeGreaterThanOrEqual(3);
  });
  it('says a committed project is under construction or ramping up, in words', async () => {
    // A ramping project was 'under ramping'.
    const committed = (id: string, status: string) =>
      appraisal({ id, committed: true, status, onlineYear: 2025, lost: 1e8 } as Partial<ProjectAppraisal> & {
        id: string;
      });
    const plan = await planPortfolio([committed('BUILT', 'construction'), committed('RAMP', 'ramping')], {
      budget: 1e9,
      frontierPoints: 2,
    });
    const detail = Object.fromEntries(plan.decisions.map((d) => [d.id, d.detail]));
    expect(detail).toEqual({
      BUILT: 'under construction: comes online in 2025 in every run, backed or not',
      RAMP: 'ramping up: comes online in 2025 in every run, backed or not',
    });
  });
  it('names a binding limit, a binding budget, and a project the budget cannot hold', async () => {
    const p = (id: string, region: string, supportCost: number, lost: number) =>
      appraisal({ id, region, supportCost, lost } as Partial<ProjectAppraisal> & { id: string });
    const projects = [p('US1', 'USA', 2e8, 4e8), p('US2', 'USA', 2.5e8, 4.2e8), p('EU1', 'EU27', 3e8, 4.5e8)];
    // A budget of 10 backs all three; a USA limit of 3 leaves room for one US project: the more secure US2.
    const limited = await planPortfolio(projects, { budget: 10e8, regionLimits: { USA: 3e8 } });
    expect(limited.selected).toEqual(['US2', 'EU1']);
    const us1 = limited.decisions.find((d) => d.id === 'US1');
    expect(us1?.reason).toBe('limit');
    expect(us1?.detail).toMatch(/limit for USA/);
    expect((await planPortfolio(projects, { budget: 10e8, regionLimits: { USA: 2e8 } })).decisions[1]?.reason).toBe(
      'over-limit',
    );
    // A budget of 5: US1 and EU1 (8.5) beat US1 and US2 (8.2); US2 is dominated by neither, the budget binds.
    const tight = await planPortfolio(projects, { budget: 5e8 });
    expect(tight.selected).toEqual(['US1', 'EU1']);
    expect(tight.decisions.find((d) => d.id === 'US2')?.reason).toBe('budget');
    const small = await planPortfolio(projects, { budget: 2.2e8 });
    expect(small.selected).toEqual(['US1']);
    expect(small.decisions.filter((d) => d.reason === 'over-budget').map((d) => d.id)).toEqual(['US2', 'EU1']);
  });
  it('counts capital instead of support when asked', async () => {
    const p = appraisal({ id: 'A', supportCost: 1e8, capitalCost: 3e8, lost: 1e9 } as Partial<ProjectAppraisal> & {
      id: string;
    });
    expect(costOf(p, 'capital')).toBe(3e8);
    expect((await planPortfolio([p], { budget: 2e8, basis: 'capital' })).selected).toEqual([]);
    expect((await planPortfolio([p], { budget: 2e8, basis: 'support' })).selected).toEqual(['A']);
  });

  it('brings each project’s cost from its decision year to the year the budget is committed', async () => {
    // Support is USD at each project's decision year; a project decided in 2032 (announced start 2035) was charged
    // its 2032 dollars against a budget spent in 2026: USD 100m then is 100 / 1.08^6 = 63.0m in 2026.
    const p = (id: string, decisionYear: number, lost: number) =>
      appraisal({
        id,
        decisionYear,
        onlineYear: decisionYear + 3,
        supportCost: 1e8,
        lost,
      } as Partial<ProjectAppraisal> & {
        id: string;
      });
    const projects = [p('NOW', 2026, 1e9), p('LATER', 2032, 1e9)];
    const presentAt = { year: 2026, costOfCapital: 0.08 };
    const plan = await planPortfolio(projects, { budget: 1.7e8, presentAt, frontierPoints: 2 });
    const cost = Object.fromEntries(plan.decisions.map((d) => [d.id, d.cost]));
    expect(cost.NOW).toBe(1e8);
    expect(cost.LATER).toBeCloseTo(1e8 / 1.08 ** 6, 0);
    expect(plan.selected).toEqual(['NOW', 'LATER']);
    expect(plan.totalCost).toBeCloseTo(1e8 + 1e8 / 1.08 ** 6, 0);
    expect(plan.basisDefinition).toMatch(/2026/);
    expect(costOf(projects[1] as ProjectAppraisal, 'capital', presentAt)).toBeCloseTo(2e8 / 1.08 ** 6, 0);
  });

  it('property: a project bankable without support never costs support, and the budget is never exceeded', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            bankable: fc.boolean(),
            committed: fc.boolean(),
            support: fc.double({ min: 1e6, max: 2e9, noNaN: true }),
            capital: fc.double({ min: 1e6, max: 4e9, noNaN: true }),
            lost: fc.double({ min: -1e9, max: 3e9, noNaN: true }),
          }),
          { maxLength: 8 },
        ),
        fc.double({ min: 0, max: 5e9, noNaN: true }),
        fc.constantFrom('support' as const, 'capital' as const),
        async (rows, budget, basis) => {
          const projects = rows.map((r, i) =>
            appraisal({
              id: `p${i}`,
              bankableWithoutSupport: r.bankable,
              committed: r.committed,
              supportCost: r.bankable ? 0 : r.support,
              capitalCost: r.capital,
              lost: r.lost,
            } as Partial<ProjectAppraisal> & { id: string }),
          );
          const plan = await planPortfolio(projects, { budget, basis, frontierPoints: 3 });
          expect(plan.totalCost).toBeLessThanOrEqual(budget);
          for (const d of plan.decisions) {
            const p = projects.find((x) => x.id === d.id) as ProjectAppraisal;
            if (p.bankableWithoutSupport) {
              expect(d.cost).toBe(0);
              expect(plan.selected).not.toContain(p.id);
            }
            if (d.selected) expect(p.bankableWithoutSupport || p.committed).toBe(false);
          }
          expect(plan.decisions).toHaveLength(projects.length);
          return true;
        },
      ),
      { numRuns: 40 },
    );
  });
});
