/**
 * Per commodity and year: world output, concentration and the bloc's share, plus how much of the data behind
 * it is sourced rather than assumed. The numbers every later report leans on.
 */
import type { Catalog } from './catalog.ts';
import type { AnyRow, AnyTable } from './schema.ts';
import { TABLES } from './schema.ts';

export interface CommoditySummary {
  readonly commodity: string;
  readonly mineral: string;
  readonly stage: string;
  readonly chain: string;
  readonly year: number;
  readonly unit: string;
  /** The published world total where there is one, else the sum of the country rows. */
  readonly worldTotal: number;
  readonly worldTotalBasis: 'published' | 'sum-of-rows';
  readonly sumOfRows: number;
  /** Largest single country (ROW excluded), with its share of the sum of rows. */
  readonly top: { readonly region: string; readonly share: number } | null;
  /**
   * Herfindahl–Hirschman index on country shares of the sum of rows (0–10,000); ROW, an aggregate of many, is left
   * out. Null where no country is listed: 0 would say the output is spread over countless producers.
   */
  readonly hhi: number | null;
  /** Share of the sum of rows made in default-bloc members (EU member states count through EU27). */
  readonly blocShare: number;
  /** Numeric cells about this commodity (production of the year, producers, demand, prices, links) by provenance. */
  readonly sourced: number;
  readonly assumed: number;
  readonly countries: number;
}

/** Counts provenanced numeric cells in rows selected by `select`, split into sourced and assumed. */
function countProvenance(cat: Catalog, select: (table: string, row: AnyRow) => boolean): [number, number] {
  let sourced = 0;
  let assumed = 0;
  for (const [name, def] of Object.entries(TABLES) as [string, AnyTable][]) {
    const rows = cat.dataset.tables[name as keyof typeof TABLES] as AnyRow[];
    const provenanced = Object.entries(def.columns).filter(([, c]) => c.meta.provenance);
    if (provenanced.length === 0) continue;
    for (const row of rows) {
      if (!select(name, row)) continue;
      for (const [field] of provenanced) {
        if (typeof row[field] !== 'number') continue;
        const kind = cat.provenanceKind(row.$provenance[field]?.source ?? '');
        if (kind === 'source') sourced++;
        else if (kind === 'assumption') assumed++;
      }
    }
  }
  return [sourced, assumed];
}

export function summarize(cat: Catalog, options: { year?: number } = {}): CommoditySummary[] {
  const t = cat.dataset.tables;
  const years = options.year !== undefined ? [options.year] : [...new Set(t.production.map((p) => p.year))].sort();
  const out: CommoditySummary[] = [];
  for (const c of t.commodities) {
    const info = cat.commodities.get(c.id);
    if (!info?.unit) continue;
    for (const year of years) {
      const rows = t.production.filter((p) => p.commodity === c.id && p.year === year);
      const published = t.world_totals.find((w) => w.commodity === c.id && w.year === year);
      if (rows.length === 0 && !published) continue;
      let sum = 0;
      let bloc = 0;
      const byRegion = new Map<string, number>();
      for (const p of rows) {
        const q = p.quantity * (cat.toCommodityUnit(c.id, p.unit) ?? Number.NaN);
        if (!Number.isFinite(q)) continue;
        sum += q;
        if (cat.inDefaultBloc(p.region)) bloc += q;
        if (cat.regions.get(p.region)?.kind === 'country') byRegion.set(p.region, (byRegion.get(p.region) ?? 0) + q);
      }
      let top: CommoditySummary['top'] = null;
      let hhi = 0;
      for (const [region, q] of byRegion) {
        const share = sum > 0 ? q / sum : 0;
        hhi += (share * 100) ** 2;
        if (!top || share > top.share) top = { region, share };
      }
      const publishedTotal = published
        ? published.quantity * (cat.toCommodityUnit(c.id, published.unit) ?? Number.NaN)
        : undefined;
      const [sourced, assumed] = countProvenance(cat, (table, row) => {
        if (row.commodity !== c.id && row.output !== c.id) return false;
        if (table === 'production' || table === 'world_totals') return row.year === year;
        return true;
      });
      const [mineral = c.id, stage = ''] = c.id.split('/');
      out.push({
        commodity: c.id,
        mineral,
        stage,
        chain: c.chain,
        year,
        unit: c.unit,
        worldTotal: publishedTotal !== undefined && Number.isFinite(publishedTotal) ? publishedTotal : sum,
        worldTotalBasis: publishedTotal !== undefined && Number.isFinite(publishedTotal) ? 'published' : 'sum-of-rows',
        sumOfRows: sum,
        top,
        hhi: byRegion.size > 0 ? Math.round(hhi) : null,
        blocShare: sum > 0 ? bloc / sum : 0,
        sourced,
        assumed,
        countries: byRegion.size,
      });
    }
  }
  return out;
}
