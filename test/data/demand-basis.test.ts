/**
 * Regional demand rests on stated evidence: no placeholder remains anywhere in data/, every assumed regional
 * demand says what it rests on, and the regional rows add up to the world figure their notes state.
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { EMBEDDED_DATA_DIR, loadDataset } from '../../src/data/load.ts';

const dataset = loadDataset();

describe('the embedded data', () => {
  it('holds no placeholder', () => {
    for (const file of readdirSync(EMBEDDED_DATA_DIR)) {
      const text = readFileSync(path.join(EMBEDDED_DATA_DIR, file), 'utf8');
      const line = text.split('\n').findIndex((l) => /placeholder/i.test(l));
      expect(line, `${file}:${line + 1}`).toBe(-1);
    }
  });

  it('gives every assumed regional demand a basis that names its evidence, or says none was found', () => {
    const assumptions = new Map(dataset.tables.assumptions.map((a) => [a.id, a]));
    const sourceIds = dataset.tables.sources.map((s) => s.id);
    for (const d of dataset.tables.demand) {
      const a = assumptions.get(d.$provenance.quantity?.source ?? '');
      if (!a) continue;
      const cites = sourceIds.some((id) => a.basis.includes(id)) || /\bA_[A-Z0-9_]+/.test(a.basis);
      const saysNoneFound = /\bno\b[^.;]*\bfound\b/i.test(a.basis);
      expect(cites || saysNoneFound, `${d.region} ${d.commodity}: ${a.id}`).toBe(true);
      expect(a.basis.length, a.id).toBeGreaterThan(80);
    }
  });

  it('adds regional rows up to the world figure their notes state', () => {
    let checked = 0;
    for (const d of dataset.tables.demand) {
      const m = /Check: rows sum to (\d+)/.exec(d.note ?? '');
      if (!m) continue;
      const sum = dataset.tables.demand
        .filter((x) => x.commodity === d.commodity && x.year === d.year)
        .reduce((s, x) => s + x.quantity, 0);
      expect(sum, d.commodity).toBeCloseTo(Number(m[1]), 0);
      checked++;
    }
    expect(checked).toBeGreaterThanOrEqual(4);
  });

  it('puts China antimony demand at its apparent consumption: metal output less net exports', () => {
    const chn = dataset.tables.demand.find((d) => d.region === 'CHN' && d.commodity === 'antimony/refined');
    const output = dataset.tables.production.find(
      (p) => p.region === 'CHN' && p.commodity === 'antimony/refined' && p.year === 2024,
    );
    // 2024 exports of antimony products 38,632 t at 0.864 t Sb/t, plus metal imports of about 2 kt (A_SB_DEM_CHN).
    const apparent = (output?.quantity ?? 0) - 38_632 * 0.864 + 2_000;
    expect(Math.abs((chn?.quantity ?? 0) - apparent)).toBeLessThan(0.05 * apparent);
  });
});
