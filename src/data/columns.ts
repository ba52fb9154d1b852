/**
 * Column declarations: each column of each table is declared once, with its type, unit and meaning.
 * The same declaration parses a CSV cell (through a zod schema) and documents the table
 * (`lodestone data schema`, docs/data-schema.md).
 */
import { z } from 'zod';

/** What a code column refers to; the reference checks resolve these. */
export type Reference = 'region' | 'commodity' | 'source' | 'mineral';

export interface ColumnMeta {
  readonly kind: 'text' | 'code' | 'number' | 'integer' | 'boolean' | 'date' | 'enum' | 'list' | 'unit';
  readonly description: string;
  /** Unit of a numeric column, as documentation ("commodity unit per year", "fraction", "USD/commodity unit"). */
  readonly unit?: string;
  readonly required: boolean;
  readonly references?: Reference;
  readonly values?: readonly string[];
  /**
   * A numeric input whose every cell must trace to a source or an assumption. Such a column may be
   * accompanied by `<name>_source` (overrides the row's source) and `<name>_low` / `<name>_high`
   * (the range, required when the provenance is an assumption).
   */
  readonly provenance?: boolean;
}

/** A column of cells of type T; R says whether the cell is required (then parsed rows always have it). */
export interface Column<T, R extends boolean = boolean> {
  readonly meta: ColumnMeta;
  readonly schema: z.ZodType<T | undefined>;
  /** Type-level marker only. */
  readonly required?: R;
}

/** The value type of a parsed cell: T when required, T | undefined otherwise. */
export type CellOf<C> = C extends Column<infer V, infer R> ? (R extends true ? V : V | undefined) : never;

/** A decimal number as text: digits with an optional point, sign and exponent (no hex, no Infinity, no blanks). */
export const NUMBER = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

function cell<T, R extends boolean>(
  inner: z.ZodType<T>,
  required: R,
  meta: Omit<ColumnMeta, 'required'>,
): Column<T, R> {
  const schema = z.string().transform((raw, ctx): T | undefined => {
    const text = raw.trim();
    if (text === '') {
      if (required) ctx.addIssue({ code: 'custom', message: 'is empty but required' });
      return undefined;
    }
    const parsed = inner.safeParse(text);
    if (!parsed.success) {
      ctx.addIssue({ code: 'custom', message: parsed.error.issues[0]?.message ?? 'is invalid' });
      return undefined;
    }
    return parsed.data;
  });
  return { meta: { ...meta, required }, schema: schema as z.ZodType<T | undefined> };
}

interface NumberOptions<R extends boolean = boolean> {
  unit?: string;
  min?: number;
  max?: number;
  required?: R;
  provenance?: boolean;
}

/** Parses a plain, finite number: text that matches the number pattern can still overflow (1e400 is Infinity). */
function numeric(o: NumberOptions, integer: boolean): z.ZodType<number> {
  return z
    .string()
    .refine((s) => NUMBER.test(s), {
      error: (issue) => `'${String(issue.input)}' is not a plain number (no thousands separators, units or %)`,
    })
    .refine((s) => Number.isFinite(Number(s)), {
      error: (issue) => `'${String(issue.input)}' is not a finite number (it is too large to represent)`,
    })
    .transform(Number)
    .refine((n) => !integer || Number.isInteger(n), {
      error: (issue) => `${String(issue.input)} is not a whole number`,
    })
    .refine((n) => o.min === undefined || n >= o.min, {
      error: (issue) =>
        o.min === 0 ? `${String(issue.input)} is negative` : `${String(issue.input)} is below the minimum ${o.min}`,
    })
    .refine((n) => o.max === undefined || n <= o.max, {
      error: (issue) => `${String(issue.input)} is above the maximum ${o.max}`,
    });
}

function numberColumn<R extends boolean>(
  description: string,
  o: NumberOptions<R>,
  integer: boolean,
): Column<number, NoInfer<R>> {
  const meta: Omit<ColumnMeta, 'required'> = {
    kind: integer ? 'integer' : 'number',
    description,
    ...(o.unit ? { unit: o.unit } : {}),
    ...(o.provenance ? { provenance: true } : {}),
  };
  return cell(numeric(o, integer), (o.required ?? false) as R, meta);
}

export const col = {
  text<R extends boolean = false>(description: string, required?: R): Column<string, NoInfer<R>> {
    return cell(z.string(), (required ?? false) as R, { kind: 'text', description });
  },
  code<R extends boolean = true>(
    description: string,
    references?: Reference,
    required?: R,
  ): Column<string, NoInfer<R>> {
    return cell(
      z.string().regex(/^[A-Za-z0-9_*+./-]+$/, { message: 'must be a code without spaces' }),
      (required ?? true) as R,
      {
        kind: 'code',
        description,
        ...(references ? { references } : {}),
      },
    );
  },
  /** A space-separated list of codes, or `*` for all. */
  list(description: string, references?: Reference): Column<string[], true> {
    return cell(
      z.string().transform((s) => s.split(/\s+/).filter(Boolean)),
      true,
      { kind: 'list', description, ...(references ? { references } : {}) },
    );
  },
  number<R extends boolean = false>(description: string, o: NumberOptions<R> = {}): Column<number, NoInfer<R>> {
    return numberColumn(description, o, false);
  },
  integer<R extends boolean = false>(description: string, o: NumberOptions<R> = {}): Column<number, NoInfer<R>> {
    return numberColumn(description, o, true);
  },
  /** A sourced numeric input: needs provenance, may carry a low/high range. */
  quantity<R extends boolean = false>(
    description: string,
    o: Omit<NumberOptions<R>, 'provenance'> = {},
  ): Column<number, NoInfer<R>> {
    return numberColumn(description, { ...o, provenance: true }, false);
  },
  year<R extends boolean = true>(description = 'calendar year', required?: R): Column<number, NoInfer<R>> {
    return numberColumn(description, { min: 1900, max: 2100, required: (required ?? true) as R }, true);
  },
  boolean<R extends boolean = false>(description: string, required?: R): Column<boolean, NoInfer<R>> {
    return cell(
      z
        .enum(['true', 'false', 'yes', 'no', '1', '0'], { message: "expected 'true' or 'false'" })
        .transform((s) => s === 'true' || s === 'yes' || s === '1'),
      (required ?? false) as R,
      { kind: 'boolean', description },
    );
  },
  date<R extends boolean = false>(description: string, required?: R): Column<string, NoInfer<R>> {
    return cell(
      z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}$/, { message: 'expected an ISO date YYYY-MM-DD' })
        .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)), { message: 'is not a calendar date' }),
      (required ?? false) as R,
      { kind: 'date', description },
    );
  },
  enumeration<const V extends readonly [string, ...string[]], R extends boolean = true>(
    description: string,
    values: V,
    required?: R,
  ): Column<V[number], NoInfer<R>> {
    return cell(z.enum(values, { message: `expected one of: ${values.join(', ')}` }), (required ?? true) as R, {
      kind: 'enum',
      description,
      values,
    }) as Column<V[number], NoInfer<R>>;
  },
  /** A quantity or price unit string, checked against the commodity by the unit checks. */
  unit<R extends boolean = true>(description: string, required?: R): Column<string, NoInfer<R>> {
    return cell(z.string(), (required ?? true) as R, { kind: 'unit', description });
  },
  source(): Column<string, true> {
    return cell(z.string().regex(/^[A-Za-z0-9_.-]+$/, { message: 'must be a source or assumption id' }), true, {
      kind: 'code',
      description: 'provenance of the numbers in this row: an id in sources.csv or assumptions.csv',
      references: 'source',
    });
  },
  note(): Column<string, false> {
    return cell(z.string(), false, { kind: 'text', description: 'free text: caveats, arithmetic, definitions' });
  },
};
