import type { Catalog } from '../data/catalog.ts';
import { remembered } from '../memo.ts';

/** The model region a data region belongs to: EU member states trade as EU27. */
export function modelRegion(catalog: Catalog, code: string): string {
  const r = catalog.regions.get(code);
  return r?.part_of && catalog.regions.get(r.part_of)?.kind === 'aggregate' ? r.part_of : code;
}

/**
 * The regions the data marks as non-market economies (regions.csv `non_market_economy`: the countries the U.S.
 * Department of Commerce treats as such in anti-dumping and countervailing duty proceedings, 19 U.S.C. 1677(18),
 * source TRADE_GOV_NME_LIST), once per catalog. Their producers' costs are not "market-economy cost of production"
 * (POLICY.md §5.4), so a reference price read off the market economies' cost curve leaves them out, with the
 * capacity their firms own abroad. Every other region counts as a market economy, as for Commerce.
 */
export function nonMarketEconomies(catalog: Catalog): ReadonlySet<string> {
  return remembered(
    NON_MARKET,
    catalog,
    () => new Set(catalog.dataset.tables.regions.filter((r) => r.non_market_economy).map((r) => r.code)),
  );
}
const NON_MARKET = new WeakMap<Catalog, ReadonlySet<string>>();

/**
 * Whether a producer (its model region, and its owner's jurisdiction where known) is on the market economies' cost
 * curve: neither it nor its owner in the dominant supplier or another non-market economy (`nonMarket`).
 */
export function inMarketEconomy(
  region: string,
  owner: string | undefined,
  dominant: string,
  nonMarket: ReadonlySet<string>,
): boolean {
  return !outside(region, dominant, nonMarket) && !outside(owner, dominant, nonMarket);
}

/**
 * Whether a producer is on the members' own cost curve: in a member, and not owned from the dominant supplier or
 * another non-market economy (a Chinese-owned refinery in a member is not the members' market-economy cost either).
 */
export function inMembersMarket(
  region: string,
  owner: string | undefined,
  members: { has(region: string): boolean },
  dominant: string,
  nonMarket: ReadonlySet<string>,
): boolean {
  return members.has(region) && !outside(owner, dominant, nonMarket);
}

const outside = (r: string | undefined, dominant: string, nonMarket: ReadonlySet<string>) =>
  r !== undefined && (r === dominant || nonMarket.has(r));
