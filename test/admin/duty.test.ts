/**
 * Duty on an import entry, against the embedded tariff data, with amounts worked out by hand in the comments.
 * The reference price in these cases is the fixed 110 USD/kg NdPr oxide (11,000,000 cents per t NdPr-oxide).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assessDuty, DutyError, type ImportEntry } from '../../src/admin/duty.ts';
import { defaultMembers, inForceOn, publishPrices, type Schedule } from '../../src/admin/schedule.ts';
import { Catalog } from '../../src/data/catalog.ts';
import { loadDataset } from '../../src/data/load.ts';
import { tariffLineCode } from '../../src/model/tariff-lines.ts';

const catalog = new Catalog(loadDataset());

function schedule(version: number, effectiveFrom: string, prices: Record<string, number>): Schedule {
  const published = publishPrices(
    catalog,
    {
      effectiveFrom,
      reference: `decision ${version}`,
      prices: Object.entries(prices).map(([commodity, price]) => ({ commodity, method: { rule: 'fixed', price } })),
    },
    [],
  );
  return {
    version,
    effectiveFrom,
    publishedAt: `${effectiveFrom}T00:00:00.000Z`,
    publishedBy: 'test',
    reference: `decision ${version}`,
    prices: published.prices,
  };
}

const ndpr = schedule(1, '2026-01-01', { 'ndpr/oxide': 110_000 });
const inForce = (date = '2026-03-01', schedules: Schedule[] = [ndpr]) =>
  inForceOn(schedules, date, defaultMembers(catalog));
const entry = (e: Partial<ImportEntry>): ImportEntry => ({
  date: '2026-03-01',
  importer: 'USA',
  origin: 'CHN',
  commodity: 'ndpr/oxide',
  quantity: '2',
  customsValueCents: 10_000_000,
  ...e,
});

describe('duty on an import entry', () => {
  it('non-member oxide: the highest undeclared line, then the levy up to the reference value', () => {
    const a = assessDuty(catalog, entry({}), inForce());
    // Lines 2805.30.00 (5%), 2846.90.20 (0%), 2846.90.80 (3.7%): 5% of 100,000.00 USD = 5,000.00.
    expect(a.ordinaryDutiesCents).toBe(500_000);
    expect(a.lines[0]?.basis.hsCode).toBe('2805.30.00');
    // Reference value 2 t x 110,000 USD/t = 220,000.00; duty-paid 105,000.00; levy 115,000.00.
    expect(a.dutyPaidValueCents).toBe(10_500_000);
    expect(a.levyCents).toBe(11_500_000);
    expect(a.amountDueCents).toBe(12_000_000);
    expect(a.amountDue).toBe('120000.00 USD');
    expect(a.lines.map((l) => l.kind)).toEqual(['ordinary', 'levy']);
    expect(a.notes.join(' ')).toMatch(/3 tariff lines .* the highest, 2805.30.00/);
  });

  it('a declared line picks its own rate (2846.90.20.40 is free)', () => {
    const a = assessDuty(catalog, entry({ hsCode: '2846.90.20.40' }), inForce());
    expect(a.ordinaryDutiesCents).toBe(0);
    expect(a.levyCents).toBe(22_000_000 - 10_000_000);
  });

  it('an unknown line is an error naming the field and the known lines', () => {
    expect(() => assessDuty(catalog, entry({ hsCode: '9999.99' }), inForce())).toThrow(
      /hsCode: 9999.99 is not a line of ndpr\/oxide for USA \(known: 2805.30.00/,
    );
  });

  it('a preferential rate replaces MFN on its own line only (Canada under USMCA)', () => {
    const declared = assessDuty(catalog, entry({ origin: 'CAN', hsCode: '2805.30.00' }), inForce());
    expect(declared.ordinaryDutiesCents).toBe(0);
    expect(declared.lines[0]?.basis.layer).toBe('preferential');
    // Undeclared: 2846.90.80 at 3.7% carries no preference and is the highest line.
    const undeclared = assessDuty(catalog, entry({ origin: 'CAN' }), inForce());
    expect(undeclared.ordinaryDutiesCents).toBe(370_000);
  });

  it('member origin: no duty, no levy (Mexico into the USA; an EU state into Japan)', () => {
    const mex = assessDuty(catalog, entry({ origin: 'MEX', customsValueCents: 1 }), inForce());
    expect(mex.originIsMember).toBe(true);
    expect(mex.amountDueCents).toBe(0);
    expect(mex.lines).toEqual([]);
    const deu = assessDuty(catalog, entry({ importer: 'JPN', origin: 'DEU', customsValueCents: 1 }), inForce());
    expect(deu.origin).toBe('EU27');
    expect(deu.amountDueCents).toBe(0);
  });

  it('an EU member state imports as EU27 (TARIC 5.5% on 2805 30 10)', () => {
    const a = assessDuty(catalog, entry({ importer: 'DEU' }), inForce());
    expect(a.importer).toBe('EU27');
    expect(a.ordinaryDutiesCents).toBe(550_000);
    expect(a.levyCents).toBe(22_000_000 - 10_550_000);
  });

  it('stacks additional duties on the magnet line in force on the date (Section 301 + IEEPA)', () => {
    // 1 t NdFeB, customs 10,000.00 USD: MFN 2.1% = 210.00; 301 25% (from 2026-01-01) = 2,500.00;
    // IEEPA 20% on 8505.11.00.70 (10% reciprocal + 10% fentanyl since 10 Nov 2025) = 2,000.00. Ordinary 4,710.00.
    const a = assessDuty(
      catalog,
      entry({ commodity: 'ndfeb/magnet', quantity: '1000', unit: 'kg NdFeB', customsValueCents: 1_000_000 }),
      inForce(),
    );
    expect(a.lines.filter((l) => l.kind === 'ordinary').map((l) => l.amountCents)).toEqual([21_000, 250_000, 200_000]);
    expect(a.ordinaryDutiesCents).toBe(471_000);
    // Standard content 0.34 t NdPr oxide per t (stage_links): reference value 0.34 x 11,000,000 = 3,740,000 cents.
    expect(a.lines[3]?.basis.coveredQuantity).toBe('0.34');
    expect(a.levyCents).toBe(3_740_000 - 1_471_000);
    expect(a.amountDueCents).toBe(2_740_000);
    // In 2025 the 301 line was 0% (ended 2025-12-31) and the 25% not yet in force.
    const before = assessDuty(
      catalog,
      entry({ date: '2025-06-01', commodity: 'ndfeb/magnet', quantity: '1', customsValueCents: 1_000_000 }),
      inForce('2025-06-01'),
    );
    expect(before.ordinaryDutiesCents).toBe(21_000 + 0 + 300_000);
    expect(before.levyCents).toBe(0); // no reference price in force before 2026
  });

  it('halves the IEEPA fentanyl duty on Chinese goods from 10 Nov 2025 (EO 14357): 10% reciprocal + 10% = 20%', () => {
    const magnets = (date: string) =>
      assessDuty(
        catalog,
        entry({ date, commodity: 'ndfeb/magnet', quantity: '1', customsValueCents: 1_000_000 }),
        inForce(date),
      ).lines.filter((l) => l.kind === 'ordinary' && l.basis.hsCode === '8505.11.00.70');
    // 10,000.00 USD customs value: 30% = 3,000.00 to 9 Nov 2025 (10% reciprocal + 20% fentanyl), 20% = 2,000.00 after.
    expect(magnets('2025-11-09').map((l) => l.amountCents)).toEqual([300_000]);
    expect(magnets('2025-11-10').map((l) => l.amountCents)).toEqual([200_000]);
  });

  it('the levy on a downstream good applies to its declared content', () => {
    // 300 kg NdPr oxide declared in 1 t of magnets: reference value 0.3 x 11,000,000 = 3,300,000 cents.
    const a = assessDuty(
      catalog,
      entry({
        commodity: 'ndfeb/magnet',
        quantity: '1',
        customsValueCents: 1_000_000,
        content: { commodity: 'ndpr/oxide', quantity: '300', unit: 'kg NdPr-oxide' },
      }),
      inForce(),
    );
    expect(a.levyCents).toBe(3_300_000 - 1_471_000);
    expect(a.lines.at(-1)?.description).toMatch(/declared content/);
    expect(() =>
      assessDuty(
        catalog,
        entry({ commodity: 'ndfeb/magnet', content: { commodity: 'cobalt/refined', quantity: '1' } }),
        inForce(),
      ),
    ).toThrow(/content.commodity: cobalt\/refined is not an input of ndfeb\/magnet/);
    // A good with a reference price of its own pays on its quantity: a content declared with it is refused, not
    // silently set aside.
    expect(() =>
      assessDuty(
        catalog,
        entry({ commodity: 'ndpr/oxide', content: { commodity: 'ndpr/oxide', quantity: '1' } }),
        inForce(),
      ),
    ).toThrow(/content: ndpr\/oxide has a reference price of its own in force/);
    // A content above what making the goods takes (the stage link's top of range, 0.38 t oxide per t of magnet) is a
    // slip or a fraud, not a levy to charge: 5,000 t of oxide in 2 t of magnets once came to a 298 million USD bill.
    const declaring = (quantity: string) =>
      assessDuty(
        catalog,
        entry({
          commodity: 'ndfeb/magnet',
          quantity: '2',
          customsValueCents: 2_000_000,
          content: { commodity: 'ndpr/oxide', quantity },
        }),
        inForce(),
      );
    expect(() => declaring('5000')).toThrow(
      /^content\.quantity: 5000 t NdPr-oxide of ndpr\/oxide in 2 t NdFeB of ndfeb\/magnet is more than making them takes: at most 0\.38 per t NdFeB/,
    );
    expect(() => declaring('0.77')).toThrow(/content\.quantity/);
    expect(declaring('0.76').levyCents).toBeGreaterThan(0);
    // Below the bottom of the range (0.30 per t): possible (a magnet lean in NdPr), so charged as declared, but said.
    expect(declaring('0.6').notes.join(' ')).not.toMatch(/below the least/);
    expect(declaring('0.000001').notes.join(' ')).toMatch(
      /declared content 0\.000001 t NdPr-oxide is below the least the data gives for 2 t NdFeB of ndfeb\/magnet \(0\.3 per t NdFeB, stage_links: A_RE_LINK_MAG, the bottom of its range\)/,
    );
  });

  it('a content declared of an unpriced input does not set aside the levy on the priced one', () => {
    // NdPr oxide is priced, rare-earth concentrate is not: declaring concentrate in magnets would have left no levy.
    expect(() =>
      assessDuty(
        catalog,
        entry({ commodity: 'ndfeb/magnet', content: { commodity: 'rare-earths/concentrate', quantity: '1' } }),
        inForce(),
      ),
    ).toThrow(
      /^content\.commodity: rare-earths\/concentrate has no reference price in force on 2026-03-01; the levy is on ndpr\/oxide, the nearest input of ndfeb\/magnet with one: declare the content of ndpr\/oxide/,
    );
    // Nor does declaring a priced input further up the chain choose the levy: it is on the nearest priced one.
    const both = inForce('2026-03-01', [ndpr, schedule(2, '2026-02-01', { 'rare-earths/concentrate': 3_000 })]);
    expect(() =>
      assessDuty(
        catalog,
        entry({ commodity: 'ndfeb/magnet', content: { commodity: 'rare-earths/concentrate', quantity: '1' } }),
        both,
      ),
    ).toThrow(
      /^content\.commodity: the levy on ndfeb\/magnet is on ndpr\/oxide, its nearest input with a reference price in force on 2026-03-01: declare the content of ndpr\/oxide/,
    );
  });

  it('a specific duty per kg of content, and an annex-wide additional duty (tungsten concentrate from China)', () => {
    // 10 t W: 0.375 USD/kg x 10,000 kg = 3,750.00; Section 301 25% of 200,000.00 = 50,000.00.
    const a = assessDuty(
      catalog,
      entry({ commodity: 'tungsten/mine', quantity: '10', customsValueCents: 20_000_000 }),
      inForce(),
    );
    expect(a.lines.map((l) => [l.basis.kind, l.amountCents])).toEqual([
      ['specific', 375_000],
      ['ad_valorem', 5_000_000],
    ]);
    expect(a.levyCents).toBe(0);
    expect(a.notes.join(' ')).toMatch(/no reference price in force for tungsten\/mine/);
  });

  it('additional duty on a line without an MFN rate in the data (EU anti-dumping on tungsten carbide)', () => {
    const undeclared = assessDuty(
      catalog,
      entry({ importer: 'EU27', commodity: 'tungsten/refined', quantity: '1', customsValueCents: 100_000 }),
      inForce(),
    );
    expect(undeclared.ordinaryDutiesCents).toBe(33_000);
    expect(undeclared.notes.join(' ')).toMatch(/no MFN rate for line 2849 90/);
    const declared = assessDuty(
      catalog,
      entry({
        importer: 'EU27',
        commodity: 'tungsten/refined',
        quantity: '1',
        customsValueCents: 100_000,
        hsCode: '8101 99 10',
      }),
      inForce(),
    );
    expect(declared.ordinaryDutiesCents).toBe(6_000);
  });

  it('rounds each line half-up to the cent', () => {
    // 5% of 0.50 USD = 2.5 cents -> 3; 5% of 0.49 = 2.45 -> 2.
    expect(assessDuty(catalog, entry({ customsValueCents: 50 }), inForce()).ordinaryDutiesCents).toBe(3);
    expect(assessDuty(catalog, entry({ customsValueCents: 49 }), inForce()).ordinaryDutiesCents).toBe(2);
    // Reference value of 0.0000001 t is 1.1 cents -> 1 cent; of 0.00000015 t 1.65 -> 2.
    expect(assessDuty(catalog, entry({ quantity: '0.0000001', customsValueCents: 0 }), inForce()).levyCents).toBe(1);
    expect(assessDuty(catalog, entry({ quantity: '0.00000015', customsValueCents: 0 }), inForce()).levyCents).toBe(2);
  });

  it('rejects bad entries with the field that is wrong', () => {
    const bad: [Partial<ImportEntry>, RegExp][] = [
      [{ date: '2026-02-30' }, /^date:/],
      [{ importer: 'XXX' }, /^importer: unknown region/],
      [{ importer: 'CHN' }, /^importer: CHN is not a member of the zone on 2026-03-01/],
      [{ origin: 'ZZZ' }, /^origin:/],
      [{ origin: 'ROW' }, /^origin:/],
      [{ commodity: 'unobtainium/ore' }, /^commodity: unknown commodity/],
      [{ quantity: '-1' }, /^quantity: must be positive/],
      [{ quantity: '0' }, /^quantity: must be positive/],
      [{ quantity: 'ten' }, /^quantity: 'ten' is not a decimal number/],
      [{ quantity: '1e308' }, /^quantity: '1e308' is beyond the largest quantity an entry takes \(1e12 units\)$/],
      [{ unit: 't Cu' }, /^unit: 't Cu' does not convert/],
      [{ customsValueCents: -1 }, /^customsValueCents:/],
      [{ customsValueCents: 1.5 }, /^customsValueCents:/],
      [{ hsCode: 'abc' }, /^hsCode:/],
    ];
    for (const [e, message] of bad) {
      let thrown: unknown;
      try {
        assessDuty(catalog, entry(e), inForce());
      } catch (error) {
        thrown = error;
      }
      expect(thrown, JSON.stringify(e)).toBeInstanceOf(DutyError);
      expect((thrown as Error).message).toMatch(message);
    }
  });

  it('an origin outside the data (any ISO 3166-1 country) is a non-member', () => {
    // BHR (Bahrain) is a valid ISO 3166-1 country not in the data: it is outside the zone.
    const a = assessDuty(catalog, entry({ origin: 'BHR' }), inForce());
    expect(a.originIsMember).toBe(false);
    expect(a.levyCents).toBe(11_500_000);
  });

  it('reads tariff line codes from the data', () => {
    expect(tariffLineCode('2805.30.00')).toBe('28053000');
    expect(tariffLineCode('8505 11 00')).toBe('85051100');
    expect(tariffLineCode('2849 90 (exact CN/TARIC codes not verified)')).toBe('284990');
    expect(tariffLineCode('Annex of 89 FR 76581 (codes not transcribed)')).toBeUndefined();
  });
});

describe('duty properties', () => {
  const commodities = ['ndpr/oxide', 'ndfeb/magnet', 'lithium/chemicals', 'tungsten/mine', 'gallium/refined'];
  const origins = ['CHN', 'CAN', 'KOR', 'MEX', 'DEU', 'JPN', 'BHR', 'IDN'];
  const importers = ['USA', 'EU27', 'FRA', 'JPN', 'MEX'];
  const prices = schedule(1, '2024-01-01', {
    'ndpr/oxide': 110_000,
    'lithium/chemicals': 15_000,
    'gallium/refined': 900,
  });
  const arbitraryEntry = fc.record({
    date: fc.constantFrom('2025-01-15', '2025-07-01', '2026-03-01', '2027-12-31'),
    importer: fc.constantFrom(...importers),
    origin: fc.constantFrom(...origins),
    commodity: fc.constantFrom(...commodities),
    quantity: fc.integer({ min: 1, max: 10 ** 9 }).map((n) => (n / 1000).toString()),
    customsValueCents: fc.integer({ min: 0, max: 10 ** 13 }),
  });

  it('the levy is never negative, lines sum to the total, and a non-member entry never lands below the reference value', () => {
    fc.assert(
      fc.property(arbitraryEntry, (e) => {
        const a = assessDuty(catalog, e, inForceOn([prices], e.date, defaultMembers(catalog)));
        expect(a.levyCents).toBeGreaterThanOrEqual(0);
        expect(a.lines.every((l) => l.amountCents >= 0)).toBe(true);
        expect(a.lines.reduce((s, l) => s + l.amountCents, 0)).toBe(a.amountDueCents);
        expect(a.dutyPaidValueCents).toBe(e.customsValueCents + a.ordinaryDutiesCents);
        const levy = a.lines.find((l) => l.kind === 'levy');
        if (!a.originIsMember && levy) {
          const referenceValue = levy.basis.referenceValueCents as number;
          expect(e.customsValueCents + a.amountDueCents).toBeGreaterThanOrEqual(referenceValue);
          // and it lands exactly on it when the levy bites
          if (a.levyCents > 0) expect(e.customsValueCents + a.amountDueCents).toBe(referenceValue);
        }
        if (a.originIsMember) expect(a.amountDueCents).toBe(0);
      }),
      { numRuns: 400 },
    );
  });

  it('the duty is deterministic and does not fall as the customs value rises (ad valorem lines only grow)', () => {
    fc.assert(
      fc.property(arbitraryEntry, fc.integer({ min: 0, max: 10 ** 9 }), (e, more) => {
        const f = inForceOn([prices], e.date, defaultMembers(catalog));
        const a = assessDuty(catalog, e, f);
        expect(assessDuty(catalog, e, f)).toEqual(a);
        const b = assessDuty(catalog, { ...e, customsValueCents: e.customsValueCents + more }, f);
        expect(b.ordinaryDutiesCents).toBeGreaterThanOrEqual(a.ordinaryDutiesCents);
        // what the importer pays in all (value + duties + levy) never falls
        expect(e.customsValueCents + more + b.amountDueCents).toBeGreaterThanOrEqual(
          e.customsValueCents + a.amountDueCents,
        );
      }),
      { numRuns: 200 },
    );
  });
});
