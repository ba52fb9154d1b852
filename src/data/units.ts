/**
 * Quantities carry a scale and a content basis: "t REO", "kt Cu", "kg Ga", "t LCE".
 * Two quantities can be added only when their bases agree (or a declared conversion links them);
 * the scale is just a factor. Prices are "USD/<quantity unit>".
 */

/** Mass scales, in tonnes. */
export const SCALES = { kg: 0.001, t: 1, kt: 1_000, Mt: 1_000_000 } as const;
export type Scale = keyof typeof SCALES;

export interface QuantityUnit {
  readonly scale: Scale;
  /** What is weighed: the contained element or the product (REO, LCE, NdFeB, Cu, ...). */
  readonly basis: string;
}

export interface PriceUnit {
  readonly currency: 'USD';
  readonly per: QuantityUnit;
}

export class UnitError extends Error {}

const BASIS_PATTERN = /^[A-Za-z][A-Za-z0-9-]*$/;

export function parseQuantityUnit(text: string): QuantityUnit {
  const parts = text.trim().split(/\s+/);
  if (parts.length !== 2) {
    throw new UnitError(`'${text}' is not a quantity unit: write '<scale> <basis>', e.g. 't REO' or 'kg Ga'`);
  }
  const [scale, basis] = parts as [string, string];
  if (!(scale in SCALES)) {
    throw new UnitError(`'${text}': unknown scale '${scale}' (use one of ${Object.keys(SCALES).join(', ')})`);
  }
  if (!BASIS_PATTERN.test(basis)) {
    throw new UnitError(`'${text}': basis '${basis}' must be a word such as REO, LCE, Cu`);
  }
  return { scale: scale as Scale, basis };
}

export function parsePriceUnit(text: string): PriceUnit {
  const match = /^USD\/(.+)$/.exec(text.trim());
  if (!match?.[1]) throw new UnitError(`'${text}' is not a price unit: write 'USD/<scale> <basis>', e.g. 'USD/t Cu'`);
  return { currency: 'USD', per: parseQuantityUnit(match[1]) };
}

export function formatQuantityUnit(unit: QuantityUnit): string {
  return `${unit.scale} ${unit.basis}`;
}

/** A declared factor between two bases: 1 unit of `from` equals `factor` units of `to` (e.g. 1 t Li = 5.323 t LCE). */
export interface BasisConversion {
  readonly from: string;
  readonly to: string;
  readonly factor: number;
}

export class UnitConverter {
  private readonly factors = new Map<string, number>();

  constructor(conversions: readonly BasisConversion[] = []) {
    for (const c of conversions) {
      this.factors.set(`${c.from}>${c.to}`, c.factor);
      this.factors.set(`${c.to}>${c.from}`, 1 / c.factor);
    }
  }

  /** Multiplier taking a quantity in `from` to `to`, or undefined when the bases cannot be converted. */
  quantityFactor(from: QuantityUnit, to: QuantityUnit): number | undefined {
    const basisFactor = from.basis === to.basis ? 1 : this.factors.get(`${from.basis}>${to.basis}`);
    if (basisFactor === undefined) return undefined;
    return (SCALES[from.scale] / SCALES[to.scale]) * basisFactor;
  }

  /** Multiplier taking a price per `from` to a price per `to` (the inverse of the quantity factor). */
  priceFactor(from: PriceUnit, to: PriceUnit): number | undefined {
    const q = this.quantityFactor(from.per, to.per);
    return q === undefined ? undefined : 1 / q;
  }
}
