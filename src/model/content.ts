/**
 * What a downstream good carries of a covered upstream one (MODEL.md §7): a magnet entering the zone is levied on its
 * NdPr oxide content where oxide has a reference price and magnets have none. The secretariat's duty (admin/duty.ts)
 * and the engine's floors (world.ts) find the covered input the same way, here.
 */
import type { ProducerRow, StageLinkRow } from '../data/schema.ts';
import { remembered } from '../memo.ts';

/**
 * The nearest upstream commodity of `commodity` in `priced`, by the stage links (breadth first, at most 8 stages, the
 * links' order breaking ties), and the links from `commodity` down to it, in order; undefined if none is priced.
 */
export function nearestPricedInput(
  links: readonly StageLinkRow[],
  commodity: string,
  priced: ReadonlySet<string>,
): { readonly commodity: string; readonly path: readonly StageLinkRow[] } | undefined {
  let frontier: { commodity: string; path: StageLinkRow[] }[] = [{ commodity, path: [] }];
  for (let depth = 0; depth < 8 && frontier.length > 0; depth++) {
    const next: typeof frontier = [];
    for (const f of frontier) {
      for (const l of links) {
        if (l.output !== f.commodity) continue;
        const step = { commodity: l.input, path: [...f.path, l] };
        if (priced.has(l.input)) return step;
        next.push(step);
      }
    }
    frontier = next;
  }
  return undefined;
}

/**
 * The share of a good's base-year output made by producers that draw its stage-link inputs: available capacity
 * (capacity × utilisation) of the rows not flagged secondary over all its rows, 1 where it has none. A secondary row
 * (scrap-fed copper, synthetic graphite anode) makes the good without them, so the links' coefficients, stated per
 * unit of primary output, apply to this share of the good's use only.
 */
export function drawingShare(
  producers: readonly Pick<ProducerRow, 'commodity' | 'capacity' | 'utilisation' | 'secondary'>[],
  commodity: string,
): number {
  let drawing = 0;
  let all = 0;
  for (const p of producers) {
    if (p.commodity !== commodity) continue;
    const available = p.capacity * (p.utilisation ?? 1);
    all += available;
    if (!p.secondary) drawing += available;
  }
  return all > 0 ? drawing / all : 1;
}

/** drawingShare by commodity, per producer table (a draw's simulation asks for the same shares every year). */
const drawingShares = new WeakMap<readonly object[], Map<string, number>>();

/**
 * Use of a commodity, direct and embodied: `finalUse(k)`, plus for every stage that draws k its input coefficient × the
 * share of its output whose producers draw it (drawingShare) × that stage's own use, down the links at most eight
 * stages (where a cycle of links stops). The world's use of ore follows the magnets it ends up in; the members' use of
 * NdPr oxide counts the oxide in the magnets they buy. Remembered per commodity and depth.
 */
export function embodiedUse(
  tables: {
    readonly stage_links: readonly Pick<StageLinkRow, 'input' | 'output' | 'coefficient'>[];
    readonly producers: readonly Pick<ProducerRow, 'commodity' | 'capacity' | 'utilisation' | 'secondary'>[];
  },
  finalUse: (commodity: string) => number,
): (commodity: string) => number {
  const shares = remembered(drawingShares, tables.producers, () => new Map<string, number>());
  const memo = new Map<string, number[]>();
  const useOf = (k: string, depth: number): number => {
    const byDepth = remembered(memo, k, () => []);
    const known = byDepth[depth];
    if (known !== undefined) return known;
    let use = finalUse(k);
    if (depth < 8) {
      for (const l of tables.stage_links) {
        if (l.input !== k) continue;
        const share = remembered(shares, l.output, () => drawingShare(tables.producers, l.output));
        use += l.coefficient * share * useOf(l.output, depth + 1);
      }
    }
    byDepth[depth] = use;
    return use;
  };
  return (k) => useOf(k, 0);
}
