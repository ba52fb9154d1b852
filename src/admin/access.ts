/**
 * Who may do what: the roles an API key carries and the rules they grant. Pure — the server asks these questions,
 * the store never does. `secretariat` runs the zone; `member:<ISO3>` sees and writes its own entries and holdings
 * and only aggregates of the others'; `public` reads published schedules.
 */
import type { Catalog } from '../data/catalog.ts';
import { modelRegion } from '../model/regions.ts';
import { AS_MEMBER, refusedOwnPlace } from '../model/world.ts';

export type Role =
  | { readonly kind: 'secretariat' }
  | { readonly kind: 'public' }
  | { readonly kind: 'member'; readonly region: string };

export class RoleError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'RoleError';
  }
}

export const ROLE_HELP = "'secretariat', 'public' or 'member:<ISO3>' (a member country, or EU27)";

/** Parses a role as written on a key ('member:USA'); a member's code must be a country or aggregate of the data. */
export function parseRole(text: string, catalog: Catalog): Role {
  if (text === 'secretariat' || text === 'public') return { kind: text };
  const m = /^member:([A-Z0-9]{2,5})$/.exec(text);
  if (m) {
    const region = catalog.regions.get(m[1] as string);
    const refused = region ? refusedOwnPlace(catalog, region.code, AS_MEMBER) : undefined;
    if (refused !== undefined) throw new RoleError(`role '${text}': ${refused}`);
    if (region && region.kind !== 'rest') return { kind: 'member', region: region.code };
    throw new RoleError(`role '${text}': '${m[1]}' is not a country or aggregate of the data`);
  }
  throw new RoleError(`role '${text}' is not one of ${ROLE_HELP}`);
}

export function formatRole(role: Role): string {
  return role.kind === 'member' ? `member:${role.region}` : role.kind;
}

/**
 * True when a member's key speaks for `region` (an importer, a vault holder): its own code, or — for a key of an
 * aggregate such as EU27 — any of its member states.
 */
export function speaksFor(catalog: Catalog, role: Role, region: string): boolean {
  if (role.kind === 'secretariat') return true;
  if (role.kind !== 'member') return false;
  return region === role.region || modelRegion(catalog, region) === role.region;
}

/** The operations of the service, named as the permission table reads them. */
export type Operation =
  | 'schedules.read'
  | 'schedules.publish'
  | 'entries.submit'
  | 'entries.read'
  | 'vault.read'
  | 'vault.record'
  | 'releases.allocate'
  | 'audit.read';

/** Which kinds of role may attempt an operation at all (a member is further held to its own region). */
export const PERMISSIONS: Readonly<Record<Operation, readonly Role['kind'][]>> = {
  'schedules.read': ['secretariat', 'member', 'public'],
  'schedules.publish': ['secretariat'],
  'entries.submit': ['secretariat', 'member'],
  'entries.read': ['secretariat', 'member'],
  'vault.read': ['secretariat', 'member'],
  'vault.record': ['secretariat', 'member'],
  'releases.allocate': ['secretariat', 'member'],
  'audit.read': ['secretariat'],
};

/** What an operation does, for refusals: "role public may not read entries". */
export const OPERATION_TEXT: Readonly<Record<Operation, string>> = {
  'schedules.read': 'read schedules',
  'schedules.publish': 'publish schedules',
  'entries.submit': 'submit entries',
  'entries.read': 'read entries',
  'vault.read': 'read vault holdings',
  'vault.record': 'record vault transactions',
  'releases.allocate': 'allocate collective releases',
  'audit.read': 'read the audit log',
};

export function allowed(role: Role, operation: Operation): boolean {
  return PERMISSIONS[operation].includes(role.kind);
}
