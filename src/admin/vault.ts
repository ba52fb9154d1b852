/**
 * The joint stockpile ("vault") ledger rules: holdings by member, commodity and site, changed only by purchases,
 * releases and transfers, never below zero; compliance with an obligation stated in days of net imports; and the
 * members' net imports from the dataset. Quantities are integer millionths of the commodity's unit.
 */
import type { Catalog } from '../data/catalog.ts';
import { embodiedUse } from '../model/content.ts';
import { modelRegion } from '../model/regions.ts';
import { QUANTITY_SCALE, ratioOf, roundRatio } from './money.ts';

export type VaultTransaction =
  | {
      readonly kind: 'purchase';
      readonly member: string;
      readonly commodity: string;
      readonly site: string;
      readonly quantity: bigint;
      readonly valueCents: bigint;
    }
  | {
      readonly kind: 'release';
      readonly member: string;
      readonly commodity: string;
      readonly site: string;
      readonly quantity: bigint;
      readonly valueCents: bigint;
    }
  | {
      readonly kind: 'transfer';
      readonly member: string;
      readonly commodity: string;
      readonly site: string;
      readonly quantity: bigint;
      readonly toMember: string;
      readonly toSite: string;
    };

/** One holding changed by a transaction: + for what comes in, − for what goes out. */
export interface HoldingChange {
  readonly member: string;
  readonly commodity: string;
  readonly site: string;
  readonly delta: bigint;
}

export class VaultError extends Error {
  constructor(
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
    this.name = 'VaultError';
  }
}

/** The holding changes a transaction makes (debits first), after checking its shape. */
export function holdingChanges(tx: VaultTransaction): HoldingChange[] {
  if (tx.quantity <= 0n) throw new VaultError('quantity', 'must be positive');
  const from = { member: tx.member, commodity: tx.commodity, site: tx.site };
  switch (tx.kind) {
    case 'purchase':
      return [{ ...from, delta: tx.quantity }];
    case 'release':
      return [{ ...from, delta: -tx.quantity }];
    case 'transfer':
      if (tx.toMember === tx.member && tx.toSite === tx.site)
        throw new VaultError('toSite', 'a transfer must change the member or the site');
      return [
        { ...from, delta: -tx.quantity },
        { member: tx.toMember, commodity: tx.commodity, site: tx.toSite, delta: tx.quantity },
      ];
  }
}

export interface Holding {
  readonly member: string;
  readonly commodity: string;
  readonly site: string;
  readonly quantity: bigint;
}

const holdingKey = (h: { member: string; commodity: string; site: string }) => `${h.member}|${h.commodity}|${h.site}`;

/** Applies a transaction to holdings; refuses (VaultError) one that would take a holding below zero. */
export function applyTransaction(holdings: readonly Holding[], tx: VaultTransaction): Holding[] {
  const map = new Map(holdings.map((h) => [holdingKey(h), h]));
  for (const c of holdingChanges(tx)) {
    const current = map.get(holdingKey(c))?.quantity ?? 0n;
    const next = current + c.delta;
    if (next < 0n) {
      throw new VaultError(
        'quantity',
        `${c.member} holds ${current} millionths of ${c.commodity} at ${c.site}, less than the ${-c.delta} asked`,
      );
    }
    map.set(holdingKey(c), { member: c.member, commodity: c.commodity, site: c.site, quantity: next });
  }
  return [...map.values()];
}

export interface Compliance {
  readonly member: string;
  readonly commodity: string;
  readonly holdings: bigint;
  /** Net imports per year in the commodity's unit (demand less own production), from the dataset. */
  readonly netImportsPerYear: number;
  readonly obligationDays: number;
  /** Holdings the obligation asks for, in millionths. */
  readonly required: bigint;
  readonly daysOfCover: number | null;
  readonly shortfall: bigint;
  readonly compliant: boolean;
}

/**
 * Compliance with an obligation of `obligationDays` of net imports: required = days × net imports / 365, rounded
 * up to the millionth (an obligation is never met by rounding). A member that imports nothing is compliant.
 */
export function compliance(
  member: string,
  commodity: string,
  holdings: bigint,
  netImportsPerYear: number,
  obligationDays: number,
): Compliance {
  const perYear = Math.max(0, netImportsPerYear);
  const yearly = ratioOf(perYear);
  const days = ratioOf(obligationDays);
  const required = roundRatio(
    { num: yearly.num * days.num * QUANTITY_SCALE, den: yearly.den * days.den * 365n },
    'ceiling',
  );
  const shortfall = required > holdings ? required - holdings : 0n;
  return {
    member,
    commodity,
    holdings,
    netImportsPerYear: perYear,
    obligationDays,
    required,
    daysOfCover: perYear > 0 ? (Number(holdings) / Number(QUANTITY_SCALE) / perYear) * 365 : null,
    shortfall,
    compliant: shortfall === 0n,
  };
}

/** A member's net imports of k in a data year: its demand less its production (EU member states summed into EU27). */
export function netImports(catalog: Catalog, member: string, commodity: string, year: number): number {
  const t = catalog.dataset.tables;
  const mine = (r: string) => modelRegion(catalog, r) === member;
  const demand = t.demand.filter((d) => d.commodity === commodity && d.year === year && mine(d.region));
  const production = t.production.filter((p) => p.commodity === commodity && p.year === year && mine(p.region));
  const use = demand.reduce((s, d) => s + d.quantity, 0);
  const made = production.reduce((s, p) => s + p.quantity * (catalog.toCommodityUnit(commodity, p.unit) ?? 1), 0);
  return Math.max(0, use - made);
}

/** Members' consumption of k in a data year: the default key for sharing a collective release (MODEL.md §7). */
export function consumptionKey(
  catalog: Catalog,
  members: readonly string[],
  commodity: string,
  year: number,
): Record<string, number> {
  const key: Record<string, number> = {};
  for (const m of members) key[m] = 0;
  for (const d of catalog.dataset.tables.demand) {
    if (d.commodity !== commodity || d.year !== year) continue;
    const m = modelRegion(catalog, d.region);
    if (m in key) key[m] = (key[m] as number) + d.quantity;
  }
  return key;
}

/**
 * Members' use of k: their own demand rows plus the input their use of downstream stages embodies (the default key
 * that shares a collective release of a stage no member buys as such, such as NdPr oxide); a stage embodies it only in
 * the share of its output whose producers draw it (embodiedUse).
 */
function blocUseOf(catalog: Catalog, commodity: string, members: readonly string[], year: number): number {
  const memberSet = new Set(members);
  const t = catalog.dataset.tables;
  const membersDemand = (k: string) => {
    let use = 0;
    for (const d of t.demand) {
      if (d.commodity === k && d.year === year && memberSet.has(modelRegion(catalog, d.region))) use += d.quantity;
    }
    return use;
  };
  return embodiedUse(t, membersDemand)(commodity);
}

/**
 * Members' use of k in a data year: their own demand for k plus what their demand for downstream goods embodies
 * (oxide in the magnets they buy). The key for a stage no member buys as such (NdPr oxide), where consumption gives
 * every member zero.
 */
export function useKey(
  catalog: Catalog,
  members: readonly string[],
  commodity: string,
  year: number,
): Record<string, number> {
  const key: Record<string, number> = {};
  for (const m of members) key[m] = blocUseOf(catalog, commodity, [m], year);
  return key;
}
