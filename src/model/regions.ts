import type { Catalog } from '../data/catalog.ts';

/** The model region a data region belongs to: EU member states trade as EU27. */
export function modelRegion(catalog: Catalog, code: string): string {
  const r = catalog.regions.get(code);
  return r?.part_of && catalog.regions.get(r.part_of)?.kind === 'aggregate' ? r.part_of : code;
}
