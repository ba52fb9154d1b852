/**
 * From the dataset to one period's equilibrium problem: model regions (EU member states folded into EU27),
 * producers, demand curves, stage links, freight and tariffs in force, and the policy's zone, floors, export
 * controls, CfDs and stockpiles. Pure: catalog and policy in, problem out.
 */
import type { Catalog } from '../data/catalog.ts';
import type { TariffRow } from '../data/schema.ts';
import { parsePriceUnit, UnitError } from '../data/units.ts';
import type { Demand, EquilibriumProblem, ExportRestriction, Producer, RouteTerms } from '../equilibrium/problem.ts';
import { remembered, rememberedRecent } from '../memo.ts';
import { didYouMean } from '../suggest.ts';
import { nearestPricedInput } from './content.ts';
import type { Policy } from './policy.ts';
import { modelRegion } from './regions.ts';
import { candidateLines, tariffInForce } from './tariff-lines.ts';

export class ModelInputError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(`${path}: ${message}`);
    this.name = 'ModelInputError';
  }
}

export interface WorldOptions {
  readonly year?: number;
  /**
   * The year whose tariffs apply (those in force on 1 July): a simulated year's, on the base year's world. Default:
   * `year`.
   */
  readonly tariffYear?: number;
  readonly policy?: Policy;
  /**
   * Choke price of every isoelastic demand curve, as a multiple of its reference price: above it buyers go without
   * (rationed) rather than pay more. Default: the `demand_choke_multiple` parameter of the data; 0 for none (the
   * pure isoelastic curve). See DemandCurve.
   */
  readonly demandChoke?: number;
}

/** The data's demand choke multiple (data/parameters.csv), or 0 where a dataset has no such row. */
export function dataDemandChoke(catalog: Catalog): number {
  return catalog.dataset.tables.parameters.find((p) => p.id === 'demand_choke_multiple')?.value ?? 0;
}

export interface World {
  readonly problem: EquilibriumProblem;
  readonly year: number;
  /** Reference price per commodity (quantity-weighted demand price, else the latest price series, else cost). */
  readonly referencePrice: ReadonlyMap<string, number>;
  readonly members: readonly string[];
  /** The supplier whose hold the zone is built against (Policy.dominantSupplier; none where the data lacks CHN). */
  readonly dominantSupplier?: string;
  /** The regions statistics call "the bloc": the zone's members, or the default bloc when there is no zone. */
  readonly bloc: readonly string[];
  /** The end-use sector of each demand curve, index by index with problem.demands ('all' where not split). */
  readonly demandSectors: readonly string[];
}

/**
 * Why `destination` cannot be one of an export control's destinations from `origin` (it is the origin, or trades as
 * the same model region: an EU member state as EU27), or undefined if it can.
 */
export function ownDestination(catalog: Catalog, origin: string, destination: string): string | undefined {
  const region = modelRegion(catalog, destination);
  if (region !== modelRegion(catalog, origin)) return undefined;
  const same =
    destination === origin
      ? `${destination} is the origin itself`
      : `${destination} trades as ${region}, as ${origin} does`;
  return `${same}: an export control is on shipments to other regions`;
}

/** The dominant supplier where a policy or scenario names none. */
export const DEFAULT_DOMINANT_SUPPLIER = 'CHN';

/** What the zone may not do with the dominant supplier: make it a member, or pay its producers a CfD. */
export const AS_MEMBER = 'it cannot be a member';
export const AS_CFD_PRODUCER = "a CfD would pay its producers the zone's strike";

/**
 * Why `code` cannot take a place of the zone's own (a member, a CfD's producers): it is the rest of the world (every
 * country the data does not list, for a commodity: no party that can sign, nor one whose producers a CfD can name),
 * or the dominant supplier, or trades as it (`dominant`, default CHN; `named` says where a document named it);
 * undefined if it can.
 */
export function refusedOwnPlace(
  catalog: Catalog,
  code: string,
  refusal: string,
  dominant = DEFAULT_DOMINANT_SUPPLIER,
  named?: string,
): string | undefined {
  if (catalog.regions.get(code)?.kind === 'rest')
    return `${code} is the rest of the world (every country the data does not list), not a country; ${refusal} — name the countries`;
  if (modelRegion(catalog, code) !== modelRegion(catalog, dominant)) return undefined;
  return `${code} is the dominant supplier${named !== undefined ? ` (dominantSupplier: ${named})` : ''}, whose hold the zone is built against; ${refusal}`;
}

/**
 * Reference price per commodity in `year` (quantity-weighted demand price, else the latest price series, else the
 * highest cash cost), once per catalog and year: every world a simulation builds reads them.
 */
export function referencePricesOf(catalog: Catalog, year: number): ReadonlyMap<string, number> {
  return remembered(
    remembered(REFERENCE_CACHE, catalog, () => new Map()),
    year,
    () => computeReferencePrices(catalog, year),
  );
}
const REFERENCE_CACHE = new WeakMap<Catalog, Map<number, ReadonlyMap<string, number>>>();

/**
 * How far above the commodity's reference price a floor may be. Beyond, a floor only shuts non-members' goods out,
 * which a ban says plainly; and the levy (floor − landed cost) would lose the landed cost's digits (at 1e16 USD a
 * floor of 1e30 keeps none), so that no equilibrium can be certified.
 */
export const MAX_FLOOR_MULTIPLE = 1e6;

/** The largest release a one-period policy's vault may make, in years of the world's capacity to make the good. */
export const MAX_RELEASE_YEARS = 2;

/**
 * Why `price` cannot be a floor on commodity k (against the reference prices of `year`, or `references` where the
 * caller has them at hand), or undefined if it can.
 */
export function floorTooHigh(
  catalog: Catalog,
  year: number,
  k: string,
  price: number,
  references: ReadonlyMap<string, number> = referencePricesOf(catalog, year),
): string | undefined {
  const reference = references.get(k);
  if (reference === undefined || !(price > MAX_FLOOR_MULTIPLE * reference)) return undefined;
  const unit = catalog.commodities.get(k)?.row.price_unit ?? '';
  return (
    `${price.toPrecision(3)} ${unit} is ${(price / reference).toPrecision(2)} times ${k}'s reference price ` +
    `(${reference.toPrecision(5)} ${unit}, ${year}); a floor above ${MAX_FLOOR_MULTIPLE.toExponential()} times it would only ` +
    "shut non-members' goods out: give a lower one, or ban the imports (destinations: members)"
  );
}

function computeReferencePrices(catalog: Catalog, year: number): Map<string, number> {
  const t = catalog.dataset.tables;
  const out = new Map<string, number>();
  for (const c of t.commodities) {
    const rows = t.demand.filter((d) => d.commodity === c.id && d.year === year && d.price !== undefined);
    const q = rows.reduce((s, d) => s + d.quantity, 0);
    if (rows.length > 0 && q > 0) {
      out.set(c.id, rows.reduce((s, d) => s + d.quantity * (d.price as number), 0) / q);
      continue;
    }
    const series = t.prices
      .filter((p) => p.commodity === c.id && p.year <= year)
      .sort((a, b) => b.year - a.year)
      .map((p) => p.price * (catalog.toCommodityPriceUnit(c.id, p.unit) ?? Number.NaN))
      .filter(Number.isFinite);
    if (series[0] !== undefined) {
      out.set(c.id, series[0]);
      continue;
    }
    const costs = t.producers.filter((p) => p.commodity === c.id && p.cash_cost !== undefined);
    if (costs.length > 0) out.set(c.id, Math.max(...costs.map((p) => p.cash_cost as number)));
  }
  return out;
}

type RouteTable = ({ commodity: string; from: string; to: string } & RouteTerms)[];
/** By tariff table: a draw's catalog shares its base's table (tariffs are not drawn), and so its keys. */
const TARIFF_KEY_CACHE = new WeakMap<readonly object[], Map<number, string>>();

/**
 * Which tariff rows are in force on 1 July of `year` (their indices): two years with the same key have the same
 * duties, so a simulation builds one world for both.
 */
export function tariffsInForceKey(catalog: Catalog, year: number): string {
  const tariffs = catalog.dataset.tables.tariffs;
  return remembered(
    remembered(TARIFF_KEY_CACHE, tariffs, () => new Map()),
    year,
    () => {
      const date = `${year}-07-01`;
      const inForce: number[] = [];
      tariffs.forEach((x, i) => {
        if (tariffInForce(x, date)) inForce.push(i);
      });
      return inForce.join(',');
    },
  );
}

const ROUTE_CACHE = new WeakMap<Catalog, Map<string, RouteTable>>();
/**
 * Route tables kept per catalog, the most recently used: one is about a megabyte for the whole world, and a table is
 * made per year, regions and members, so a process simulating scenario after scenario on one catalog grew without
 * bound (4 GB after about 390 scenarios). A simulation with its twin uses about 32.
 */
const ROUTE_TABLES_KEPT = 64;

/** How many route tables are kept for a catalog (for tests: the cache stays within ROUTE_TABLES_KEPT). */
export function routeTablesKept(catalog: Catalog): number {
  return ROUTE_CACHE.get(catalog)?.size ?? 0;
}

interface RouteTableOptions {
  /** The year of the world's data (its reference prices compare a commodity's tariff lines). */
  readonly year: number;
  /** The year whose tariffs in force at mid-year apply. */
  readonly tariffYear: number;
  readonly commodities: readonly string[];
  readonly regions: readonly string[];
  readonly zeroAmong: ReadonlySet<string> | undefined;
}

/**
 * What of a route table depends on the tables' keys alone: each route that has a freight row or a duty, the freight
 * row that applies (its index in the freight table; −1 for none) with its factor to the commodity's price unit (per
 * tonne rows), and the duties. An ensemble draw's catalog shares it with the catalog it was drawn from (the same
 * tariff table) and prices only its own freight.
 */
interface RouteSkeleton {
  readonly commodity: string;
  readonly from: string;
  readonly to: string;
  readonly freightRow: number;
  /** USD per tonne of the commodity's basis to its price unit, for a per-tonne freight row (undefined: none). */
  readonly perTonne: number | undefined;
  readonly adValorem: number;
  readonly specific: number;
}
/**
 * By tariff table, as tariffsInForceKey: only an ensemble draw's catalog shares its base's tables, and it changes none
 * of the keys, bases or rates a skeleton reads (only values such as freight's, which routeTable prices afresh).
 */
const SKELETON_CACHE = new WeakMap<readonly object[], Map<string, readonly RouteSkeleton[]>>();

/**
 * Freight and duties on every route between `regions`, per commodity (routes with neither are left out).
 *
 * Freight: the most specific row wins: (origin, destination, commodity) > (origin, destination, *) >
 * (*, *, commodity) > (*, *, *). A share of value is priced at the commodity's reference price.
 * Tariffs in force at mid-year of `tariffYear`, per tariff line (tariff-lines.ts): MFN, replaced by a preferential
 * rate for its origin, plus every additional duty on the origin; the highest line of the commodity; none between two
 * regions of `zeroAmong` (members trading preferentially).
 */
function routeTable(
  catalog: Catalog,
  key: string,
  o: RouteTableOptions & { readonly referencePrice: ReadonlyMap<string, number> },
): RouteTable {
  const skeleton = remembered(
    remembered(SKELETON_CACHE, catalog.dataset.tables.tariffs, () => new Map()),
    key,
    () => routeSkeleton(catalog, o),
  );
  const freightRows = catalog.dataset.tables.freight;
  const table: RouteTable = [];
  for (const r of skeleton) {
    let freight = 0;
    if (r.freightRow >= 0) {
      const row = freightRows[r.freightRow] as (typeof freightRows)[number];
      if (row.basis === 'pct_of_value') freight = ((o.referencePrice.get(r.commodity) ?? 0) * row.value) / 100;
      else if (r.perTonne !== undefined) freight = row.value * r.perTonne;
    }
    if (freight === 0 && r.adValorem === 0 && r.specific === 0) continue;
    table.push({
      commodity: r.commodity,
      from: r.from,
      to: r.to,
      freight,
      adValorem: r.adValorem,
      specific: r.specific,
    });
  }
  return table;
}

function routeSkeleton(catalog: Catalog, o: RouteTableOptions): RouteSkeleton[] {
  const t = catalog.dataset.tables;
  const region = (code: string) => modelRegion(catalog, code);
  const freightRows = t.freight.map((f, index) => ({
    index,
    basis: f.basis,
    commodity: f.commodity,
    from: f.origin === '*' ? '*' : region(f.origin),
    to: f.destination === '*' ? '*' : region(f.destination),
    rank: (f.origin !== '*' ? 4 : 0) + (f.destination !== '*' ? 2 : 0) + (f.commodity !== '*' ? 1 : 0),
  }));
  const perTonneFactor = new Map<string, number | undefined>();
  const perTonne = (k: string) => {
    // USD per tonne of the commodity's basis: to its price unit (per kg for gallium, ...).
    if (!perTonneFactor.has(k)) {
      perTonneFactor.set(k, catalog.toCommodityPriceUnit(k, `USD/t ${catalog.commodities.get(k)?.unit?.basis ?? ''}`));
    }
    return perTonneFactor.get(k);
  };

  const date = `${o.tariffYear}-07-01`;
  const rowsByImporter = new Map<string, TariffRow[]>();
  for (const x of t.tariffs) {
    if (!tariffInForce(x, date)) continue;
    const key = `${x.commodity}|${region(x.importer)}`;
    const rows = rowsByImporter.get(key);
    if (rows) rows.push(x);
    else rowsByImporter.set(key, [x]);
  }
  const specificPerUnit = (k: string, rate: number, unit: string): number => {
    try {
      parsePriceUnit(unit);
    } catch (e) {
      if (e instanceof UnitError) return Number.NaN;
      throw e;
    }
    return rate * (catalog.toCommodityPriceUnit(k, unit) ?? Number.NaN);
  };
  /** A line's duties, which add up: ad valorem as a share, specific per unit of the commodity's price unit. */
  const dutiesOf = (k: string, rows: readonly TariffRow[]) => {
    let adValorem = 0;
    let specific = 0;
    for (const x of rows) {
      if (x.kind === 'ad_valorem') adValorem += x.rate / 100;
      else {
        const s = specificPerUnit(k, x.rate, x.unit);
        if (Number.isFinite(s)) specific += s;
      }
    }
    return { adValorem, specific };
  };
  const none = { adValorem: 0, specific: 0 };
  // The model has one good per commodity: of the lines it spans, the one with the highest duty at the commodity's
  // reference price applies (conservative, as the customs duty does for an entry that declares no line).
  const comparePrice = referencePricesOf(catalog, o.year);
  const dutiesInto = (k: string, to: string) => {
    const rows = rowsByImporter.get(`${k}|${to}`);
    if (!rows) return undefined;
    const price = comparePrice.get(k) ?? 0;
    const byOrigin = new Map<string, { adValorem: number; specific: number }>();
    return (from: string) => {
      let duties = byOrigin.get(from);
      if (duties) return duties;
      duties = none;
      let highest = 0;
      for (const line of candidateLines(catalog, rows, from)) {
        const d = dutiesOf(k, line.rows);
        const perUnit = d.adValorem * price + d.specific;
        // Without a price to compare at, the higher ad valorem rate.
        if (perUnit > highest || (perUnit === highest && d.adValorem > duties.adValorem)) {
          highest = perUnit;
          duties = d;
        }
      }
      byOrigin.set(from, duties);
      return duties;
    };
  };

  const routes: RouteSkeleton[] = [];
  for (const k of o.commodities) {
    const rows = freightRows.filter((f) => f.commodity === k || f.commodity === '*').sort((a, b) => b.rank - a.rank);
    const into = o.regions.map((to) => dutiesInto(k, to));
    for (const from of o.regions) {
      const fromRows = rows.filter((f) => f.from === '*' || f.from === from);
      o.regions.forEach((to, j) => {
        if (from === to) return;
        const best = fromRows.find((f) => f.to === '*' || f.to === to);
        const duties = into[j];
        const { adValorem, specific } =
          !duties || (o.zeroAmong?.has(from) && o.zeroAmong.has(to)) ? none : duties(from);
        if (!best && adValorem === 0 && specific === 0) return;
        routes.push({
          commodity: k,
          from,
          to,
          freightRow: best ? best.index : -1,
          perTonne: best && best.basis !== 'pct_of_value' ? perTonne(k) : undefined,
          adValorem,
          specific,
        });
      });
    }
  }
  return routes;
}

export function buildWorld(catalog: Catalog, options: WorldOptions = {}): World {
  const t = catalog.dataset.tables;
  const demandYears = [...new Set(t.demand.map((d) => d.year))].sort();
  const year = options.year ?? Math.max(...demandYears);
  if (!demandYears.includes(year)) {
    throw new ModelInputError(
      'year',
      `no reference demand for ${year}; the data has demand for ${demandYears.join(', ')}`,
    );
  }
  const policy = options.policy ?? {};
  const choke = options.demandChoke ?? dataDemandChoke(catalog);
  if (!(choke === 0 || (Number.isFinite(choke) && choke > 1))) {
    throw new ModelInputError('demand_choke_multiple', `must be 0 (none) or a multiple above 1, got ${choke}`);
  }
  const region = (code: string) => modelRegion(catalog, code);
  const regions = new Set<string>();
  const commodities = t.commodities.map((c) => c.id);
  const commoditySet = new Set(commodities);
  const referencePrice = referencePricesOf(catalog, year);

  const checkRegion = (path: string, code: string) => {
    if (!catalog.regions.has(code)) throw new ModelInputError(path, `unknown region '${code}' (not in regions.csv)`);
    return region(code);
  };
  const checkCommodity = (path: string, id: string) => {
    if (!commoditySet.has(id)) {
      throw new ModelInputError(
        path,
        `unknown commodity '${id}'${didYouMean(id, commoditySet)} (the commodities: ${[...commoditySet].join(', ')})`,
      );
    }
    return id;
  };

  const dominant =
    policy.dominantSupplier !== undefined
      ? checkRegion('policy.dominantSupplier', policy.dominantSupplier)
      : catalog.regions.has(DEFAULT_DOMINANT_SUPPLIER)
        ? region(DEFAULT_DOMINANT_SUPPLIER)
        : undefined;
  /** A region of the zone's own (a member, a CfD's producers), checked, and refused if it is the dominant supplier. */
  const checkOwn = (path: string, code: string, refusal: string) => {
    const r = checkRegion(path, code);
    const named = policy.dominantSupplier ?? DEFAULT_DOMINANT_SUPPLIER;
    const refused = refusedOwnPlace(catalog, code, refusal, dominant ?? named, named);
    if (refused !== undefined) throw new ModelInputError(path, refused);
    return r;
  };
  /** The default bloc, whose countries the dominant supplier may no more be than a member named in a list. */
  const defaultBloc = () => {
    const bloc = t.regions.filter((r) => r.default_bloc).map((r) => r.code);
    const named = policy.dominantSupplier ?? DEFAULT_DOMINANT_SUPPLIER;
    const member = dominant === undefined ? undefined : bloc.find((m) => region(m) === dominant);
    if (member !== undefined) {
      throw new ModelInputError(
        'policy.dominantSupplier',
        `${named} ${named === member ? 'is' : `counts as ${member},`} a member of the default bloc (members: default: ${bloc.join(', ')}); ` +
          'the dominant supplier, whose hold the zone is built against, cannot be a member — name another, or list the members',
      );
    }
    return bloc;
  };
  const members =
    policy.members === undefined
      ? []
      : policy.members === 'default'
        ? defaultBloc()
        : [...new Set(policy.members.map((m, i) => checkOwn(`policy.members[${i}]`, m, AS_MEMBER)))];
  const memberSet = new Set(members);

  const cfds = (policy.cfds ?? []).map((c, i) => ({
    ...c,
    commodity: checkCommodity(`policy.cfds[${i}].commodity`, c.commodity),
    regions: new Set(
      (c.regions ?? members).map((r, j) => checkOwn(`policy.cfds[${i}].regions[${j}]`, r, AS_CFD_PRODUCER)),
    ),
  }));

  const producers: Producer[] = t.producers.map((p) => {
    if (p.cash_cost === undefined) {
      throw new ModelInputError(`producers ${p.id}`, 'has no cash_cost; the model needs one for every producer');
    }
    const r = region(p.region);
    regions.add(r);
    const cfd = cfds[coveringCfd(cfds, p.commodity, r)];
    return {
      id: p.id,
      region: r,
      commodity: p.commodity,
      // Available capacity: nameplate × base-year utilisation, so the base year reproduces observed output.
      capacity: p.capacity * (p.utilisation ?? 1),
      cost: p.cash_cost,
      ...(p.secondary ? { secondary: true } : {}),
      ...(cfd ? { cfd: { strike: cfd.strike, ...(cfd.volume !== undefined ? { volume: cfd.volume } : {}) } } : {}),
    };
  });

  const demands: Demand[] = [];
  const demandSectors: string[] = [];
  for (const d of t.demand.filter((x) => x.year === year)) {
    const p0 = d.price ?? referencePrice.get(d.commodity);
    if (p0 === undefined || !(p0 > 0)) {
      throw new ModelInputError(`demand ${d.region} ${d.commodity} ${d.sector}`, 'has no reference price');
    }
    if (d.elasticity === undefined || !(d.elasticity < 0)) {
      throw new ModelInputError(`demand ${d.region} ${d.commodity} ${d.sector}`, 'needs a negative elasticity');
    }
    if (d.quantity <= 0) continue;
    const r = region(d.region);
    regions.add(r);
    demandSectors.push(d.sector);
    demands.push({
      region: r,
      commodity: d.commodity,
      curve: {
        kind: 'isoelastic',
        q0: d.quantity,
        p0,
        elasticity: d.elasticity,
        ...(choke > 0 ? { choke: choke * p0 } : {}),
      },
    });
  }
  for (const m of members) regions.add(m);
  // 'members' without a zone means the bloc, as in a scenario's shocks: the regions the statistics call the bloc.
  const bloc = members.length > 0 ? members : t.regions.filter((r) => r.default_bloc).map((r) => r.code);
  /** An export control's destinations; a region named as its own destination is a slip (controls are on exports). */
  const destinationsOf = (d: string[] | 'members' | '*', path: string, origin: string): readonly string[] | '*' =>
    d === '*'
      ? '*'
      : d === 'members'
        ? bloc
        : [
            ...new Set(
              d.map((x, i) => {
                const r = checkRegion(`${path}[${i}]`, x);
                const own = ownDestination(catalog, origin, x);
                if (own !== undefined) throw new ModelInputError(`${path}[${i}]`, own);
                return r;
              }),
            ),
          ];
  const restrictions: ExportRestriction[] = [];
  (policy.bans ?? []).forEach((b, i) => {
    const origin = checkRegion(`policy.bans[${i}].origin`, b.origin);
    const ks =
      b.commodities === '*'
        ? commodities
        : b.commodities.map((k, j) => checkCommodity(`policy.bans[${i}].commodities[${j}]`, k));
    for (const k of ks) {
      restrictions.push({
        id: `ban-${i}-${k}`,
        origin,
        commodity: k,
        destinations: destinationsOf(b.destinations, `policy.bans[${i}].destinations`, origin),
        quota: 0,
      });
    }
  });
  (policy.quotas ?? []).forEach((q, i) => {
    const origin = checkRegion(`policy.quotas[${i}].origin`, q.origin);
    restrictions.push({
      id: `quota-${i}`,
      origin,
      commodity: checkCommodity(`policy.quotas[${i}].commodity`, q.commodity),
      destinations: destinationsOf(q.destinations, `policy.quotas[${i}].destinations`, origin),
      quota: q.quota,
    });
  });

  const exportTaxes = (policy.exportTaxes ?? []).map((e, i) => ({
    origin: checkRegion(`policy.exportTaxes[${i}].origin`, e.origin),
    commodity: checkCommodity(`policy.exportTaxes[${i}].commodity`, e.commodity),
    rate: e.rate,
  }));
  const stocks = (policy.stockpiles ?? []).map((s, i) => {
    const commodity = checkCommodity(`policy.stockpiles[${i}].commodity`, s.commodity);
    // A vault holds what the world made. Releasing far more in a year than the world can make in one would sink the
    // price at the vault to a millionth of its reference or below (isoelastic demand takes it all up, where freight
    // keeps it from the other markets): no stock is that large, and the certificate's precision is lost there.
    const capacity = producers.reduce((t, p) => t + (p.commodity === commodity ? p.capacity : 0), 0);
    if (s.releaseCap !== undefined && s.releaseCap > MAX_RELEASE_YEARS * capacity) {
      const unit = catalog.commodities.get(commodity)?.row.unit ?? '';
      throw new ModelInputError(
        `policy.stockpiles[${i}].releaseCap`,
        `${s.releaseCap.toPrecision(3)} ${unit} is ${(s.releaseCap / capacity).toPrecision(2)} times what the world ` +
          `can make of ${commodity} in a year (${capacity.toPrecision(3)} ${unit}); a vault releases at most ` +
          `${MAX_RELEASE_YEARS} years of it in one`,
      );
    }
    return {
      ...s,
      id: `stock-${i}`,
      region: checkRegion(`policy.stockpiles[${i}].region`, s.region),
      commodity,
    };
  });
  // Regions the policy names that neither make nor use anything in the data (GBR, ZAF): markets of their own, as
  // members are, so that a ban toward one, or a stockpile in one, is a policy on a small market, not an unknown region.
  for (const r of restrictions) {
    regions.add(r.origin);
    if (r.destinations !== '*') for (const d of r.destinations) regions.add(d);
  }
  for (const e of exportTaxes) regions.add(e.origin);
  for (const x of stocks) regions.add(x.region);

  const regionList = [...regions].sort();
  // The route table depends only on the data, the year, the tariffs in force, the regions and who trades
  // preferentially: cached per catalog, so that a simulation's years share one array (and the engine's index of it).
  // Keyed by the tariffs in force rather than the tariff year: the years between two changes of duty share one (a
  // rare-earth draw built 8.6 tables, one per world).
  const preferential = policy.members !== undefined && (policy.preferential ?? true);
  const tariffYear = options.tariffYear ?? year;
  const routeKey = `${year}|${tariffsInForceKey(catalog, tariffYear)}|${regionList.join(',')}|${preferential ? members.join(',') : ''}`;
  const byPair = rememberedRecent(
    remembered(ROUTE_CACHE, catalog, () => new Map()),
    routeKey,
    () =>
      routeTable(catalog, routeKey, {
        year,
        tariffYear,
        commodities,
        regions: regionList,
        referencePrice,
        zeroAmong: preferential ? memberSet : undefined,
      }),
    ROUTE_TABLES_KEPT,
  );

  const floors = Object.entries(policy.floors ?? {}).flatMap(([k, price]) => {
    checkCommodity(`policy.floors.${k}`, k);
    if (members.length === 0) throw new ModelInputError(`policy.floors.${k}`, 'a floor needs zone members');
    const high = floorTooHigh(catalog, year, k, price, referencePrice);
    if (high !== undefined) throw new ModelInputError(`policy.floors.${k}`, high);
    return members.map((m) => ({ region: m, commodity: k, price }));
  });
  // A good without a floor of its own whose input has one carries it in its content (MODEL.md §7, as the secretariat's
  // duty levies it): a non-member's magnets land in a member at no less than their NdPr oxide content × the oxide's
  // floor, so that the floor is not escaped one stage down.
  const floored = new Set(Object.keys(policy.floors ?? {}));
  if (floored.size > 0) {
    for (const k of commodities) {
      if (floored.has(k)) continue;
      const input = nearestPricedInput(t.stage_links, k, floored);
      if (!input) continue;
      const price = input.path.reduce((p, l) => p * l.coefficient, policy.floors?.[input.commodity] as number);
      for (const m of members) floors.push({ region: m, commodity: k, price });
    }
  }

  const problem: EquilibriumProblem = {
    regions: regionList,
    commodities,
    members,
    links: t.stage_links.map((l) => ({ output: l.output, input: l.input, coefficient: l.coefficient })),
    producers,
    demands,
    routes: { byPair },
    exportTaxes,
    restrictions,
    floors,
    stocks,
  };
  return {
    problem,
    year,
    referencePrice,
    members,
    ...(dominant ? { dominantSupplier: dominant } : {}),
    bloc,
    demandSectors,
  };
}

/**
 * Which of `cfds` covers a producer of `commodity` in (model) region `region`: the first in the list whose regions
 * include it — a producer takes one strike — or −1.
 */
export function coveringCfd(
  cfds: readonly { readonly commodity: string; readonly regions: ReadonlySet<string> }[],
  commodity: string,
  region: string,
): number {
  return cfds.findIndex((c) => c.commodity === commodity && c.regions.has(region));
}

/**
 * Refuses a one-period policy's CfD that can pay nobody (its regions, the members where it names none, make none of
 * its commodity) or that covers producers an earlier CfD covers (a producer takes one strike). Not applied to a
 * scenario's CfDs, which are checked year by year: its projects can come online later, and a second CfD on the same
 * producers takes over where the first's budget runs out.
 */
export function checkPolicyCfds(catalog: Catalog, policy: Policy, world: World): void {
  const claimed = new Map<string, number>();
  (policy.cfds ?? []).forEach((c, i) => {
    const path = `policy.cfds[${i}]`;
    const named = c.regions !== undefined;
    const regions = [...new Set((c.regions ?? world.members).map((r) => modelRegion(catalog, r)))];
    if (regions.length === 0) {
      throw new ModelInputError(
        path,
        named
          ? 'covers no producer: it names no regions'
          : 'covers no producer: it names no regions, and the zone it would cover (the members) has none',
      );
    }
    const makers = new Set(
      world.problem.producers.filter((p) => p.commodity === c.commodity && p.capacity > 0).map((p) => p.region),
    );
    const covered = regions.filter((r) => makers.has(r));
    if (covered.length === 0) {
      throw new ModelInputError(
        path,
        `covers no producer: nothing in ${regions.join(', ')}${named ? '' : ' (the members)'} makes ${c.commodity}` +
          ` (it is made in ${[...makers].sort().join(', ') || 'no region'})`,
      );
    }
    const taken = covered.filter((r) => claimed.has(`${c.commodity}|${r}`));
    if (taken.length > 0) {
      const first = claimed.get(`${c.commodity}|${taken[0]}`) as number;
      throw new ModelInputError(
        path,
        `covers ${c.commodity} in ${taken.join(', ')}, as policy.cfds[${first}] does: a producer takes one strike — give each region one CfD`,
      );
    }
    for (const r of covered) claimed.set(`${c.commodity}|${r}`, i);
  });
}
