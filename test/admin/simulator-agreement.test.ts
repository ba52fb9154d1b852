/**
 * One source of truth: the reference price the service publishes for a rule is the one the simulator sets for the
 * same rule on the same data (cost-plus in the zone's first year, where both read the data's cost curve).
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { expect, it } from 'vitest';
import { publishPrices } from '../../src/admin/schedule.ts';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { readScenario } from '../../src/model/scenario.ts';
import { simulate } from '../../src/simulate/simulate.ts';

it('cost-plus reference prices agree with the simulator to the last digit', () => {
  const catalog = new Catalog(loadDataset());
  const margins: Record<string, number> = { 'cobalt/refined': 0.15, 'gallium/refined': 0.2, 'ndpr/oxide': 0.1 };
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-agreement-'));
  const file = path.join(dir, 'agreement.yaml');
  writeFileSync(
    file,
    [
      'name: agreement',
      'extends: baseline',
      'horizon: { start: 2025, end: 2025 }',
      'zone:',
      '  members: [{ region: USA, from: 2025 }, { region: EU27, from: 2025 }, { region: JPN, from: 2025 }, { region: MEX, from: 2025 }]',
      '  referencePrices:',
      ...Object.entries(margins).map(([k, m]) => `    ${k}: { rule: cost-plus, margin: ${m} }`),
      '',
    ].join('\n'),
  );
  const year = simulate(readScenario(file), catalog).years[0];
  const published = publishPrices(
    catalog,
    {
      effectiveFrom: '2025-01-01',
      reference: 'agreement',
      prices: Object.entries(margins).map(([commodity, margin]) => ({
        commodity,
        method: { rule: 'cost-plus', margin },
      })),
    },
    [],
  );
  for (const p of published.prices) {
    const simulated = year?.commodities.find((c) => c.commodity === p.commodity)?.referencePrice;
    expect(simulated, p.commodity).toBe(p.explanation.computed);
    expect(p.priceCents).toBe(Math.round((simulated as number) * 100));
  }
});
