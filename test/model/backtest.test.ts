/**
 * The backtest replays past disruptions on the base-year world. Its numbers are a diagnostic, not a target: the
 * tests hold it to what any equilibrium must show (a cut never lowers the restricted side's price nor raises the
 * actor's) and to its bookkeeping (what is scored, what is skipped and why), not to the multiples themselves.
 */
import { describe, expect, it } from 'vitest';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { runBacktest, SCORED_YEARS } from '../../src/model/backtest.ts';
import { runCli } from '../helpers.ts';

const catalog = new Catalog(loadDataset());
const result = runBacktest(catalog);

describe('backtest on the embedded episodes', () => {
  it('replays every episode that states a cut or is a ban, and says why the others are not', () => {
    const replayed = new Set(result.rows.map((r) => r.episode));
    for (const o of catalog.dataset.tables.episodes) {
      const replayable = o.cut_share !== undefined || o.measure === 'ban';
      if (replayable) expect(replayed.has(o.episode), o.episode).toBe(true);
    }
    for (const s of result.skipped) {
      expect(replayed.has(s.episode)).toBe(false);
      expect(s.reason).toMatch(/cut|region/);
    }
  });

  it('a cut never lowers the price on the restricted side nor raises it on the spared side', () => {
    for (const r of result.rows) {
      expect(r.modelled.inside, `${r.episode} ${r.commodity}`).toBeGreaterThanOrEqual(1 - 1e-9);
      if (Number.isFinite(r.modelled.outside)) expect(r.modelled.outside).toBeLessThanOrEqual(1 + 1e-9);
    }
  });

  it('scores only recent episodes, and its summary counts what it scores', () => {
    for (const r of result.rows) {
      expect(r.scored).toBe(Number(r.effective.slice(0, 4)) >= result.year - SCORED_YEARS);
    }
    const sides = result.rows
      .filter((r) => r.scored)
      .reduce((n, r) => n + (r.observed.inside ? 1 : 0) + (r.observed.outside ? 1 : 0), 0);
    expect(result.summary.comparisons).toBe(sides);
    expect(result.summary.directionAgreement).toBeGreaterThanOrEqual(0);
    expect(result.summary.directionAgreement).toBeLessThanOrEqual(1);
  });

  it('the observed range brackets its central value', () => {
    for (const r of result.rows) {
      for (const o of [r.observed.inside, r.observed.outside]) {
        if (!o) continue;
        expect(o.min).toBeLessThanOrEqual(o.central * (1 + 1e-12));
        expect(o.central).toBeLessThanOrEqual(o.max * (1 + 1e-12));
      }
    }
  });
});

describe('lodestone backtest', () => {
  it('prints the comparison, and JSON with rows, skipped and summary', () => {
    const text = runCli(['backtest']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/CN_GAGE_LIC_2023\s+gallium\/refined/);
    expect(text.stdout).toMatch(/direction agrees in \d+%/);
    const json = runCli(['backtest', '--episode', 'CN_SB_LIC_2024', '--json']);
    expect(json.status).toBe(0);
    const parsed = JSON.parse(json.stdout);
    expect(parsed.rows.map((r: { episode: string }) => r.episode)).toEqual(['CN_SB_LIC_2024']);
    expect(parsed.summary.comparisons).toBeGreaterThan(0);
  });

  it('says so where nothing it was asked for can be replayed, with no rate or median of nothing', () => {
    // CN_HREE_LIC_2025 states no cut: the summary was 'direction agrees in NaN%', under a table of nothing.
    const r = runCli(['backtest', '--episode', 'CN_HREE_LIC_2025']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/Nothing could be replayed\./);
    expect(r.stdout).toMatch(/Scored: no comparison/);
    expect(r.stdout).toMatch(/Not replayed: CN_HREE_LIC_2025/);
    expect(r.stdout).not.toMatch(/NaN|†/);
  });

  it('counts one comparison in the singular', () => {
    const r = runCli(['backtest', '--episode', 'IDN_NI_ORE_BAN_2020']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^Scored: 1 comparison; direction agrees in 100%/m);
  });

  it('refuses an option of one value given twice, which kept the last in silence; a repeatable one may repeat', () => {
    const r = runCli(['backtest', '--episode', 'IDN_NI_ORE_BAN_2020', '--episode=CN_SB_LIC_2024']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/^lodestone: --episode is given 2 times: it takes one value \(give it once\)$/m);
    const twoFolders = runCli(['backtest', '--episode', 'IDN_NI_ORE_BAN_2020', '--data', 'data', '--data', 'data']);
    expect(twoFolders.status).toBe(0);
  });

  it('names the episodes when asked for an unknown one', () => {
    const r = runCli(['backtest', '--episode', 'NO_SUCH']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown episode 'NO_SUCH'.*CN_GAGE_LIC_2023/);
    expect(r.stderr).not.toMatch(/at .*\.ts:/);
    // An id in the wrong case, or a letter off, gets the one it is close to.
    expect(runCli(['backtest', '--episode', 'cn_us_ban_2024']).stderr).toMatch(
      /unknown episode 'cn_us_ban_2024' \(did you mean 'CN_US_BAN_2024'\?\)/,
    );
    expect(runCli(['data', 'episodes', '--episode', 'CN_US_BAN_2O24']).stderr).toMatch(
      /no such episode \(did you mean 'CN_US_BAN_2024'\?\)/,
    );
  });
});
