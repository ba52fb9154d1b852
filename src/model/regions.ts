import type { Catalog } from '../data/catalog.ts';

/** The model region a data region belongs to: EU member states trade as EU27. */
export function modelRegion(catalog: Catalog, code: string): string {
  const r = catalog.regions.get(code);
  return r?.part_of && catalog.regions.get(r.part_of)?.kind === 'aggregate' ? r.part_of : code;
}

/**
 * The countries the U.S. Department of Commerce treats as non-market economies in anti-dumping and countervailing
 * duty proceedings (19 U.S.C. 1677(18); source TRADE_GOV_NME_LIST): their producers' costs are not "market-economy
 * cost of production" (POLICY.md §5.4), so a reference price read off the market economies' cost curve leaves them
 * out, with the capacity their firms own abroad. Every other country counts as a market economy, as for Commerce.
 */
export const NON_MARKET_ECONOMIES: ReadonlySet<string> = new Set([
  'ARM',
  'AZE',
  'BLR',
  'CHN',
  'GEO',
  'KGZ',
  'MDA',
  'RUS',
  'TJK',
  'TKM',
  'UZB',
  'VNM',
]);

/**
 * Whether a producer (its model region, and its owner's jurisdiction where known) is on the market economies' cost
 * curve: neither it nor its owner in the dominant supplier or another non-market economy.
 */
export function inMarketEconomy(region: string, owner: string | undefined, dominant: string): boolean {
  return !nonMarket(region, dominant) && !nonMarket(owner, dominant);
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
): boolean {
  return members.has(region) && !nonMarket(owner, dominant);
}

const nonMarket = (r: string | undefined, dominant: string) =>
  r !== undefined && (r === dominant || NON_MARKET_ECONOMIES.has(r));
