/**
 * The embedded disruption episodes: every episode the backtest needs is there, with sourced prices on the sides
 * that were observed, its checks raise nothing, and `lodestone data episodes` reports the multiples.
 */
import { describe, expect, it } from 'vitest';
import { checkDataset } from '../../src/data/checks.ts';
import { episodeObservations } from '../../src/data/episodes.ts';
import { loadDataset } from '../../src/data/load.ts';
import { runCli } from '../helpers.ts';

const dataset = loadDataset();
const observations = episodeObservations(dataset);
const rows = dataset.tables.episodes;

describe('the embedded episodes', () => {
  it('load and pass their checks without errors or warnings', () => {
    const own = [
      'episode-dates',
      'episode-prices',
      'episode-unit',
      'episode-cut',
      'episode-event',
      'episode-consistency',
    ];
    const issues = checkDataset(dataset).issues.filter(
      (i) => own.includes(i.check) || (i.file ?? '').endsWith('episodes.csv'),
    );
    expect(issues).toEqual([]);
    expect(observations).toHaveLength(rows.length);
  });

  it('cover the disruptions the backtest is scored on', () => {
    const wanted: [string, string][] = [
      ['CN_REE_QUOTA_2010', 'ndpr/oxide'],
      ['CN_GAGE_LIC_2023', 'gallium/refined'],
      ['CN_GAGE_LIC_2023', 'germanium/refined'],
      ['CN_US_BAN_2024', 'gallium/refined'],
      ['CN_SB_LIC_2024', 'antimony/refined'],
      ['CN_GRAPHITE_LIC_2023', 'graphite/natural'],
      ['CN_HREE_LIC_2025', 'ndfeb/magnet'],
      ['DRC_CO_SUSPENSION_2025', 'cobalt/refined'],
      ['DRC_CO_QUOTA_2025', 'cobalt/mine'],
      ['IDN_NI_ORE_BAN_2020', 'nickel/refined'],
    ];
    for (const [episode, commodity] of wanted) {
      expect(
        observations.some((o) => o.episode === episode && o.commodity === commodity),
        `${episode} ${commodity}`,
      ).toBe(true);
    }
  });

  it('observe both sides of the restriction where the sources allow', () => {
    for (const [episode, commodity] of [
      ['CN_GAGE_LIC_2023', 'gallium/refined'],
      ['CN_GAGE_LIC_2023', 'germanium/refined'],
      ['CN_SB_LIC_2024', 'antimony/refined'],
    ]) {
      const sides = new Set(
        observations.filter((o) => o.episode === episode && o.commodity === commodity).map((o) => o.insideRestriction),
      );
      expect([...sides].sort(), `${episode} ${commodity}`).toEqual([false, true]);
    }
  });

  it('show the wedge: where both sides are observed, the restricted side rose more', () => {
    const groups = new Map<string, typeof observations>();
    for (const o of observations) {
      const key = `${o.episode}|${o.commodity}`;
      groups.set(key, [...(groups.get(key) ?? []), o]);
    }
    let compared = 0;
    for (const [key, group] of groups) {
      const inside = group.filter((o) => o.insideRestriction).map((o) => o.multiple);
      const outside = group.filter((o) => !o.insideRestriction).map((o) => o.multiple);
      if (inside.length === 0 || outside.length === 0) continue;
      compared++;
      expect(Math.max(...inside), key).toBeGreaterThan(Math.max(...outside));
    }
    expect(compared).toBeGreaterThanOrEqual(3);
  });

  it('derive each multiple from the two levels when both are given, else take the published one', () => {
    for (const [i, row] of rows.entries()) {
      const o = observations[i];
      if (row.price_before !== undefined && row.price_after !== undefined) {
        expect(o?.multipleFrom).toBe('levels');
        expect(o?.multiple).toBeCloseTo(row.price_after / row.price_before, 12);
      } else {
        expect(o?.multipleFrom).toBe('published');
        expect(o?.multiple).toBe(row.multiple);
      }
    }
  });

  it('cite a publication (not an assumption) for every price and cut', () => {
    const sources = new Set(dataset.tables.sources.map((s) => s.id));
    for (const row of rows) {
      for (const field of ['price_before', 'price_after', 'multiple', 'cut_share']) {
        if (row[field as keyof typeof row] === undefined) continue;
        const p = row.$provenance[field];
        expect(sources.has(p?.source ?? ''), `${row.episode} ${row.market} ${field}: ${p?.source}`).toBe(true);
      }
    }
  });

  it('measure a cut over months the measure was in force', () => {
    // Antimony licensing took effect on 15 Sep 2024: calendar 2024's fall (-24.1%) is eight and a half months before
    // it, with a rush to ship ahead of it. October and December 2024 against the same months of 2023 (Reuters via
    // OE Digital: 190 t vs 4,034 t; 1,721 t vs 3,989 t) are the months the price observations span.
    for (const row of rows.filter((r) => r.episode === 'CN_SB_LIC_2024')) {
      expect(row.cut_share, row.market).toBeCloseTo(1 - (190 + 1721) / (4034 + 3989), 3);
    }
  });

  it('date each episode as its policy event does', () => {
    const events = new Map(dataset.tables.policy_events.map((e) => [e.id, e]));
    for (const row of rows) {
      if (!row.policy_event) continue;
      const event = events.get(row.policy_event);
      expect(event?.effective, row.episode).toBe(row.effective);
      expect(event?.actor, row.episode).toBe(row.actor);
    }
  });
});

describe('lodestone data episodes', () => {
  it('prints JSON observations with the multiple and the side of the restriction', () => {
    const r = runCli(['data', 'episodes', '--commodity', 'gallium/refined', '--json']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout) as { commodity: string; insideRestriction: boolean; multiple: number }[];
    expect(out.length).toBeGreaterThanOrEqual(4);
    for (const o of out) {
      expect(o.commodity).toBe('gallium/refined');
      expect(typeof o.insideRestriction).toBe('boolean');
      expect(o.multiple).toBeGreaterThan(0);
    }
  });

  it('prints a table with a legend', () => {
    const r = runCli(['data', 'episodes', '--episode', 'CN_SB_LIC_2024']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/CN_SB_LIC_2024 +antimony\/refined +Europe \(Argus\) +inside/);
    expect(r.stdout).toMatch(/\* where the source states only the change/);
  });

  it('names the episodes when asked for an unknown one, without a stack trace', () => {
    const r = runCli(['data', 'episodes', '--episode', 'NOPE']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--episode NOPE: no such episode \(the episodes: CN_REE_QUOTA_2010, /);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
    // An episode that exists but observed no market of the commodity asked for says so, with those that did.
    const other = runCli(['data', 'episodes', '--commodity', 'gallium/refined', '--episode', 'IDN_NI_ORE_BAN_2020']);
    expect(other.status).toBe(1);
    expect(other.stderr).toMatch(
      /--episode IDN_NI_ORE_BAN_2020: it observed no gallium\/refined market \(the episodes on gallium\/refined: CN_GAGE_LIC_2023/,
    );
  });

  it('says so where no episode observed a market of the commodity, naming those that have one', () => {
    // It printed the table's header and legend over no rows.
    const r = runCli(['data', 'episodes', '--commodity', 'copper/mine']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^No episode observed a copper\/mine market; the episodes observe .*gallium\/refined/);
    expect(r.stdout).not.toMatch(/episode +commodity +market/);
    const json = runCli(['data', 'episodes', '--commodity', 'copper/mine', '--json']);
    expect(JSON.parse(json.stdout)).toEqual([]);
  });

  it('refuses an unknown commodity, naming the known ones', () => {
    const r = runCli(['data', 'episodes', '--commodity', 'widget/ore']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/--commodity widget\/ore: unknown commodity \(known: rare-earths\/concentrate, /);
  });
});
