/** The project register: provenance of every number, and users' own project files with located errors. */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { Catalog } from '../../src/data/catalog.ts';
import { DataError } from '../../src/data/issues.ts';
import { loadDataset } from '../../src/data/load.ts';
import { BASE_YEAR } from '../../src/data/schema.ts';
import { PROJECT_FIELDS, projectRegister, readProjectsFile, withProjectRows } from '../../src/finance/register.ts';
import { InputError } from '../../src/model/document.ts';
import { Parameters } from '../../src/simulate/inputs.ts';

let catalog: Catalog;
beforeAll(() => {
  catalog = new Catalog(loadDataset());
});

const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-projects-'));
function file(name: string, text: string): string {
  const f = path.join(dir, name);
  writeFileSync(f, text);
  return f;
}

const HEADER =
  'id,name,region,commodity,status,start_year,capacity,capacity_unit,capex_musd,cash_cost,cash_cost_unit,lead_time_years,life_years,integrated';

describe('projectRegister on the embedded data', () => {
  it('traces every number of every project to a source, an assumption with its range, or a parameter', () => {
    const register = projectRegister(catalog, new Parameters(catalog), BASE_YEAR, 'CHN');
    expect(register.projects.length).toBeGreaterThan(15);
    for (const p of register.projects) {
      for (const field of PROJECT_FIELDS) {
        const prov = p.provenance[field];
        if (field === 'capex' && p.capex === undefined) continue;
        expect(['source', 'assumption', 'parameter'], `${p.id} ${field}`).toContain(prov.kind);
        if (prov.kind === 'source') expect(catalog.sources.has(prov.id), `${p.id} ${field} ${prov.id}`).toBe(true);
        if (prov.kind === 'assumption') {
          expect(catalog.assumptions.has(prov.id), `${p.id} ${field} ${prov.id}`).toBe(true);
        }
        if (prov.kind === 'parameter') {
          expect(catalog.dataset.tables.parameters.some((x) => x.id === prov.id)).toBe(true);
          expect(prov.low).toBeLessThanOrEqual(prov.high as number);
        }
      }
    }
    // An assumed capital cost carries its range (A_CAPEX_MAGNET_PLANT for Vulcan Elements).
    const vulcan = register.projects.find((p) => p.id === 'PRJ_VULCAN_ELEMENTS');
    expect(vulcan?.provenance.capex).toEqual({ kind: 'assumption', id: 'A_CAPEX_MAGNET_PLANT', low: 405, high: 1389 });
    expect(vulcan?.capex).toBe(1e9);
    // A by-product project is registered but marked.
    expect(register.projects.find((p) => p.id === 'PRJ_PERPETUA_STIBNITE')?.byproductOf).toBe('gold');
    // Operating and cancelled projects are producers or nothing; projects without capacity are listed as skipped.
    expect(register.projects.some((p) => p.status === 'operating' || p.status === 'cancelled')).toBe(false);
    expect(register.skipped.some((s) => s.startsWith('PRJ_MP_HREE: no published capacity'))).toBe(true);
  });
  it('converts a capacity stated in lithium hydroxide to LCE through the unit conversions', () => {
    const f = file(
      'lhm.yaml',
      '- id: LHM\n  name: hydroxide plant\n  region: USA\n  commodity: lithium/chemicals\n  capacity: 10000\n  capacity_unit: t LHM\n  capex_musd: 300\n',
    );
    const cat = withProjectRows(catalog, readProjectsFile(f, catalog));
    const register = projectRegister(cat, new Parameters(cat), BASE_YEAR, 'CHN', new Set(['LHM']));
    expect(register.projects.find((p) => p.id === 'LHM')?.capacity).toBeCloseTo(10000 * 0.88042, 6);
    expect(register.projects.find((p) => p.id === 'PRJ_IONEER_RHYOLITE')).toMatchObject({ capacity: 20600, life: 26 });
  });
});

describe('readProjectsFile: a user’s own projects', () => {
  it('reads a CSV with the columns of data/projects.csv and adds it to the register', () => {
    const f = file(
      'mine.csv',
      `${HEADER}\nMY_LI,My lithium plant,USA,lithium/chemicals,feasibility,2029,20000,t LCE,600,6000,USD/t LCE,3,25,true\n`,
    );
    const rows = readProjectsFile(f, catalog);
    expect(rows).toHaveLength(1);
    const cat = withProjectRows(catalog, rows);
    const register = projectRegister(cat, new Parameters(cat), BASE_YEAR, 'CHN', new Set(['MY_LI']));
    const mine = register.projects.find((p) => p.id === 'MY_LI');
    expect(mine).toMatchObject({ capacity: 20000, capex: 6e8, cashCost: 6000, leadTime: 3, life: 25, origin: 'user' });
    expect(mine?.provenance.capex).toEqual({ kind: 'user', id: f.replace(`${process.cwd()}/`, '') });
  });
  it('reads YAML: a list, or a mapping with `projects:`', () => {
    const f = file(
      'mine.yaml',
      'projects:\n  - id: MY_GA\n    name: My gallium circuit\n    region: DEU\n    commodity: gallium/refined\n    capacity: 30\n    capacity_unit: t Ga\n    capex_musd: 150\n',
    );
    const rows = readProjectsFile(f, catalog);
    expect(rows[0]).toMatchObject({ id: 'MY_GA', region: 'DEU', status: 'feasibility', capacity: 30 });
    const register = projectRegister(
      withProjectRows(catalog, rows),
      new Parameters(catalog),
      BASE_YEAR,
      'CHN',
      new Set(['MY_GA']),
    );
    // 30 t in kg Ga; the cash cost from the existing producers (assumed), the region folded into EU27.
    expect(register.projects.find((p) => p.id === 'MY_GA')).toMatchObject({
      capacity: 30000,
      region: 'EU27',
      provenance: { cashCost: { kind: 'assumption', id: 'A_PROJECT_CASH_COST' } },
    });
  });

  const csvError = (name: string, line: string): string => {
    try {
      readProjectsFile(file(name, `${HEADER}\n${line}\n`), catalog);
    } catch (e) {
      if (e instanceof DataError || e instanceof InputError) return e.message;
      throw e;
    }
    throw new Error('no error');
  };
  it('reports a malformed number with file:line:column', () => {
    expect(csvError('n.csv', 'X,x,USA,lithium/chemicals,feasibility,,12 kt,t LCE,600,,,,,')).toMatch(
      /n\.csv:2:7: error \[cell-value\] capacity: '12 kt' is not a plain number/,
    );
  });
  it('reports a negative quantity', () => {
    expect(csvError('neg.csv', 'X,x,USA,lithium/chemicals,feasibility,,-5,t LCE,600,,,,,')).toMatch(
      /neg\.csv:2:7: .*-5 is negative/,
    );
  });
  it('reports an unknown region and an unknown commodity at their cells', () => {
    expect(csvError('r.csv', 'X,x,XYZ,lithium/chemicals,feasibility,,5,t LCE,600,,,,,')).toMatch(
      /r\.csv:2:3: region: unknown region 'XYZ'/,
    );
    expect(csvError('k.csv', 'X,x,USA,unobtainium/ore,feasibility,,5,t LCE,600,,,,,')).toMatch(
      /k\.csv:2:4: commodity: unknown commodity 'unobtainium\/ore'/,
    );
  });
  it('reports a life, a lead time, a start year, a capacity or a cash cost no project has, at its cell', () => {
    expect(csvError('l.csv', 'X,x,USA,lithium/chemicals,feasibility,,5,t LCE,600,,,,1e30,')).toMatch(
      /l\.csv:2:13: life_years: the operating life must be positive and at most 100 years, got 1e\+30/,
    );
    expect(csvError('t.csv', 'X,x,USA,lithium/chemicals,feasibility,,5,t LCE,600,,,1.5,,')).toMatch(
      /t\.csv:2:12: lead_time_years: the lead time is a whole number of years/,
    );
    expect(csvError('y.csv', 'X,x,USA,lithium/chemicals,feasibility,1900,5,t LCE,600,,,,,')).toMatch(
      /y\.csv:2:6: start_year: a project at status 'feasibility' cannot have started in 1900/,
    );
    expect(csvError('q.csv', 'X,x,USA,lithium/chemicals,feasibility,,1e30,t LCE,600,,,,,')).toMatch(
      /q\.csv:2:7: capacity: .* more than 100 times the world's capacity of lithium\/chemicals/,
    );
    expect(csvError('p.csv', 'X,x,USA,lithium/chemicals,feasibility,,5,t LCE,600,1e30,USD/t LCE,,,')).toMatch(
      /p\.csv:2:10: cash_cost: .* more than 1e\+6 times lithium\/chemicals's reference price/,
    );
  });

  it('reports a unit that does not convert, and a cash cost without its unit', () => {
    expect(csvError('u.csv', 'X,x,USA,lithium/chemicals,feasibility,,5,t Cu,600,,,,,')).toMatch(
      /u\.csv:2:8: capacity_unit: 't Cu' does not convert to t LCE/,
    );
    expect(csvError('c.csv', 'X,x,USA,lithium/chemicals,feasibility,,5,t LCE,600,7000,,,,')).toMatch(
      /c\.csv:2:11: cash_cost_unit: a cash cost needs its unit/,
    );
  });
  it('reports a missing capital cost, an operating plant and a duplicated id', () => {
    expect(csvError('m.csv', 'X,x,USA,lithium/chemicals,feasibility,,5,t LCE,,,,,,')).toMatch(
      /m\.csv:2:9: error \[user-projects\] capex_musd: capex_musd is empty/,
    );
    expect(csvError('o.csv', 'X,x,USA,lithium/chemicals,operating,,5,t LCE,600,,,,,')).toMatch(
      /o\.csv:2:5: status: 'operating' is not a project to value/,
    );
    expect(
      csvError(
        'd.csv',
        'X,x,USA,lithium/chemicals,feasibility,,5,t LCE,600,,,,,\nX,y,USA,lithium/chemicals,feasibility,,5,t LCE,600,,,,,',
      ),
    ).toMatch(/d\.csv:3:1: id: duplicate project id 'X'/);
  });
  it('reports an unknown column and a ragged row', () => {
    expect(() => readProjectsFile(file('h.csv', 'id,name,colour\nX,x,red\n'), catalog)).toThrow(
      /h\.csv:1:3: error \[csv-format\] unknown column 'colour'/,
    );
    expect(() => readProjectsFile(file('g.csv', `${HEADER}\nX,x,USA\n`), catalog)).toThrow(
      /g\.csv:2: error \[csv-format\] the row has 3 cells but the header has 14/,
    );
  });
  it('reports YAML errors with file:line:column and the path inside the document', () => {
    const bad = (name: string, text: string) => () => readProjectsFile(file(name, text), catalog);
    expect(
      bad(
        'a.yaml',
        '- id: A\n  name: a\n  region: USA\n  commodity: lithium/chemicals\n  capacity: -3\n  capacity_unit: t LCE\n  capex_musd: 1\n',
      ),
    ).toThrow(/a\.yaml:5:13: 0\.capacity: /);
    expect(
      bad(
        'b.yaml',
        '- id: A\n  name: a\n  region: USA\n  commodity: lithium/chemicals\n  capacity: 3\n  capacity_unit: kg Ga\n  capex_musd: 1\n',
      ),
    ).toThrow(/b\.yaml:6:18: 0\.capacity_unit: 'kg Ga' does not convert to t LCE/);
    expect(bad('c.yaml', 'projects:\n  - id: A\n    name: a\n    colour: red\n')).toThrow(
      /c\.yaml:2:5: projects\.0\.region: .*expected string/,
    );
    expect(bad('d.yaml', '- id: A\n  name: [unclosed\n')).toThrow(/d\.yaml:\d+:\d+: /);
    expect(
      bad(
        'e.yaml',
        '- id: A\n  name: a\n  region: ZZZ\n  commodity: lithium/chemicals\n  capacity: 3\n  capacity_unit: t LCE\n  capex_musd: 1\n',
      ),
    ).toThrow(/e\.yaml:3:11: 0\.region: unknown region 'ZZZ'/);
    // Empty or null: what a projects file holds, not the 'mapping of its settings' of a scenario or a policy.
    expect(bad('f.yaml', '# my projects, to come\n')).toThrow(
      /f\.yaml:1:1: the document is empty: expected a list of projects, or a mapping with `projects:`$/,
    );
    expect(bad('g.json', 'null\n')).toThrow(/g\.json:1:1: the document is null: expected a list of projects/);
  });
  it('says when the file cannot be read, and why', () => {
    expect(() => readProjectsFile(path.join(dir, 'missing.csv'), catalog)).toThrow(/missing\.csv: no such file$/);
    // A folder said only 'cannot read the file'; a Latin-1 YAML had its 'é' read as U+FFFD into the project's name.
    const folder = path.join(dir, 'folder.yaml');
    mkdirSync(folder);
    expect(() => readProjectsFile(folder, catalog)).toThrow(/folder\.yaml: is a folder, not a file$/);
    const latin1 = path.join(dir, 'latin1.yaml');
    writeFileSync(latin1, Buffer.from('- id: A\n  name: caf\xe9\n', 'latin1'));
    expect(() => readProjectsFile(latin1, catalog)).toThrow(/latin1\.yaml:2:12: is not UTF-8 text: /);
  });
});
