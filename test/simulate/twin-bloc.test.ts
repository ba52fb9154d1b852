/**
 * A comparison counts the same countries on both sides: a baseline twin (no zone) measures its bloc over the
 * scenario's members of each year, not the default bloc, so that a member joining is not read as a cost of the zone.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { blocsDiffer } from '../../src/cli/simulate.ts';
import type { SimulationResult } from '../../src/simulate/result.ts';
import { runCli } from '../helpers.ts';

describe('simulate --against baseline with members beyond the default bloc', () => {
  it('a zone that changes nothing but who is in it costs nothing against the baseline, year by year', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-twin-'));
    const file = path.join(dir, 'wider.yaml');
    // No tariff preference, no levy, no instrument: the market is the baseline's; only the bloc grows (KOR in 2026).
    writeFileSync(
      file,
      'name: wider\nextends: baseline\nhorizon: { start: 2025, end: 2026 }\nzone:\n  preferential: false\n  levy: none\n' +
        '  members:\n    - { region: USA, from: 2025 }\n    - { region: EU27, from: 2025 }\n    - { region: JPN, from: 2025 }\n' +
        '    - { region: MEX, from: 2025 }\n    - { region: KOR, from: 2026 }\n',
    );
    const r = runCli(['simulate', file, '--against', 'baseline', '--json', '--no-report']);
    expect(r.status).toBe(0);
    const out = JSON.parse(r.stdout);
    for (const [i, y] of out.years.entries()) {
      const twin = out.against.years[i];
      expect(y.totals.consumerCost).toBeCloseTo(twin.totals.consumerCost, -3);
      expect(y.totals.consumptionLostValue).toBeCloseTo(twin.totals.consumptionLostValue, -3);
    }
    const [y2025, y2026] = out.years;
    expect(y2026.bloc).toEqual(['EU27', 'JPN', 'KOR', 'MEX', 'USA']);
    expect(out.against.years[1].bloc).toEqual(y2026.bloc);
    expect(out.against.years[0].bloc).toEqual(y2025.bloc);
    // The events say who joins when (the zone forms with four in 2025; KOR joins in 2026); the twin has none.
    expect(y2025.events).toContain('members: EU27, JPN, MEX, USA join');
    expect(y2026.events).toContain('members: KOR joins');
    expect(out.against.years[1].events).toEqual([]);
    // KOR counts: the 2026 bloc spends more than the 2025 one by more than a year's growth.
    expect(y2026.totals.consumerCost / y2025.totals.consumerCost).toBeGreaterThan(1.1);
  });
});

describe('a comparison of two zones of other members', () => {
  const run = (name: string, blocs: (string[] | undefined)[]) =>
    ({
      scenario: { name, title: name, description: '' },
      years: blocs.map((bloc, i) => ({ year: 2025 + i, ...(bloc ? { bloc } : {}) })),
    }) as unknown as SimulationResult;
  const four = ['EU27', 'JPN', 'MEX', 'USA'];

  it('is noted with the years and both blocs; the same blocs, or a results file that does not say, are not', () => {
    const c = {
      scenario: run('wide', [four, [...four, 'KOR'], [...four, 'KOR']]),
      against: run('z', [four, four, four]),
    };
    expect(blocsDiffer(c)).toBe(
      'the bloc figures count different countries in 2 years from 2026 (2026: wide EU27, JPN, MEX, USA, KOR; z EU27, JPN, MEX, USA): the totals compare different blocs',
    );
    expect(blocsDiffer({ scenario: run('a', [four, four]), against: run('b', [four, four]) })).toBeUndefined();
    expect(
      blocsDiffer({ scenario: run('a', [four, four]), against: run('old', [undefined, undefined]) }),
    ).toBeUndefined();
  });
});
