/** The `lodestone data` commands, run as a user runs them: the real binary, its exit code and its output. */

import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { formatIssue } from '../../src/data/issues.ts';
import { loadDataset } from '../../src/data/load.ts';
import { overlayDir, ROOT, runCli } from '../helpers.ts';

interface SummaryRow {
  mineral: string;
  stage: string;
  commodity: string;
  year: number;
  unit: string;
  worldTotal: number;
  top: { region: string; share: number } | null;
  hhi: number | null;
  blocShare: number;
  sourced: number;
  assumed: number;
}

describe('lodestone data summary', () => {
  const run = runCli(['data', 'summary', '--json']);
  const rows = JSON.parse(run.stdout) as SummaryRow[];

  it('exits 0 with a JSON array carrying the documented fields', () => {
    expect(run.status).toBe(0);
    expect(rows.length).toBeGreaterThan(0);
    for (const r of rows) {
      expect(typeof r.mineral).toBe('string');
      expect(typeof r.stage).toBe('string');
      expect([2023, 2024]).toContain(r.year);
      expect(r.unit).toMatch(/^(kg|t|kt|Mt) \S+$/);
      expect(r.worldTotal).toBeGreaterThan(0);
      expect(r.top?.share).toBeGreaterThan(0);
      expect(r.top?.share).toBeLessThanOrEqual(1);
      expect(r.hhi).toBeGreaterThanOrEqual(0);
      expect(r.hhi).toBeLessThanOrEqual(10_000);
      expect(r.blocShare).toBeGreaterThanOrEqual(0);
      expect(r.blocShare).toBeLessThanOrEqual(1);
      expect(r.sourced).toBeGreaterThan(0);
      expect(r.assumed).toBeGreaterThanOrEqual(0);
    }
  });

  it('covers every chain the issue names, for 2023 and 2024', () => {
    const required = [
      'rare-earths/concentrate',
      'ndpr/oxide',
      'ndfeb/magnet',
      'lithium/mine',
      'lithium/chemicals',
      'cobalt/mine',
      'cobalt/refined',
      'nickel/mine',
      'nickel/refined',
      'graphite/natural',
      'graphite/anode',
      'gallium/refined',
      'germanium/refined',
      'antimony/mine',
      'antimony/refined',
      'tungsten/mine',
      'tungsten/refined',
      'copper/mine',
      'copper/refined',
    ];
    // Years no public source covers by country yet; the data's notes and the closing note say so.
    const knownGaps = new Set(['cobalt/refined 2023', 'graphite/anode 2023']);
    for (const id of required) {
      for (const year of [2023, 2024]) {
        const present = rows.some((r) => r.commodity === id && r.year === year);
        expect(present, `${id} ${year}`).toBe(!knownGaps.has(`${id} ${year}`));
      }
    }
  });

  it('reports the USGS world total for rare-earth mining in 2024 and China on top', () => {
    const re = rows.find((r) => r.commodity === 'rare-earths/concentrate' && r.year === 2024);
    // USGS MCS 2025: 390,000 t REO, a figure rounded to two significant digits.
    expect(re?.worldTotal).toBeGreaterThanOrEqual(385_000);
    expect(re?.worldTotal).toBeLessThanOrEqual(395_000);
    expect(re?.top?.region).toBe('CHN');
    expect(re?.top?.share).toBeGreaterThan(0.6);
  });

  it('filters by year and prints a readable table', () => {
    const text = runCli(['data', 'summary', '--year', '2024']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/mineral\s+stage\s+year\s+world total/);
    expect(text.stdout).toMatch(/rare-earths\s+concentrate\s+2024\s+390,000\s+t REO\s+CHN/);
    expect(text.stdout).not.toMatch(/\b2023\b/);
  });

  it('gives no HHI where no country is listed, and says the shares are of every listed row, ROW included', () => {
    // 2025: gallium from China and the rest of the world; germanium from the rest of the world alone.
    const dir = overlayDir({
      'production.csv':
        'commodity,region,year,quantity,unit,source,note\n' +
        'gallium/refined,CHN,2025,600,kg Ga,USGS_MCS2025_WORLD,\n' +
        'gallium/refined,ROW,2025,400,kg Ga,USGS_MCS2025_WORLD,\n' +
        'germanium/refined,ROW,2025,1000,kg Ge,USGS_MCS2025_WORLD,\n',
    });
    const json = runCli(['data', 'summary', '--year', '2025', '--data', dir, '--json']);
    expect(json.status, json.stderr).toBe(0);
    const byId = new Map((JSON.parse(json.stdout) as SummaryRow[]).map((r) => [r.commodity, r]));
    // China's share is of the 1,000 kg listed, ROW's 400 among them; ROW, many countries, adds no HHI term.
    expect(byId.get('gallium/refined')).toMatchObject({ top: { region: 'CHN', share: 0.6 }, hhi: 3600 });
    // No country listed: no concentration to speak of (it was 0, the HHI of a perfectly spread market).
    expect(byId.get('germanium/refined')).toMatchObject({ top: null, hhi: null });
    const text = runCli(['data', 'summary', '--year', '2025', '--data', dir]);
    expect(text.stdout).toMatch(/^germanium\s+refined\s+2025\s+1,000\*\s+kg Ge\s+-\s+-\s+-\s/m);
    expect(text.stdout).toMatch(/shares, HHI and bloc share are of the sum of the listed rows, ROW included/);
  });

  it('rejects a year with no data with a clear message', () => {
    const r = runCli(['data', 'summary', '--year', '1999']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/no production data for 1999; the data covers 2023, 2024/);
    expect(r.stderr).not.toMatch(/at .*\.ts:\d+/);
  });
});

describe('lodestone data sources', () => {
  it('lists every source with what it covers and how many cells cite it', () => {
    const r = runCli(['data', 'sources', '--json']);
    expect(r.status).toBe(0);
    const doc = JSON.parse(r.stdout) as {
      sources: { id: string; url: string; cells: Record<string, number> }[];
      assumptions: { id: string; basis: string }[];
    };
    expect(doc.sources.find((s) => s.id === 'USGS_MCS2025_WORLD')?.cells.production).toBeGreaterThan(50);
    for (const s of doc.sources) expect(s.url).toMatch(/^https?:\/\//);
    for (const a of doc.assumptions) expect(a.basis.length).toBeGreaterThan(20);
  });
});

describe('lodestone data check', () => {
  it('passes on the embedded data', () => {
    const r = runCli(['data', 'check']);
    expect(r.stdout).toMatch(/^ok: 0 error\(s\)/m);
    expect(r.status).toBe(0);
  });

  it('--list names every check, as text or, with --json, as JSON', () => {
    const text = runCli(['data', 'check', '--list']);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/^csv-format: every file parses as CSV/);
    // --json was dropped: the list came as text, which JSON.parse refuses.
    const json = runCli(['data', 'check', '--list', '--json']);
    expect(json.status).toBe(0);
    const checks = JSON.parse(json.stdout) as { name: string; description: string }[];
    expect(checks.map((c) => `${c.name}: ${c.description}`).join('\n')).toBe(text.stdout.trimEnd());
  });

  it('fails on a broken overlay and names file, line and column', () => {
    const dir = overlayDir({
      'production.csv':
        'commodity,region,year,quantity,unit,source,note\nrare-earths/concentrate,ATL,2024,-5,t REO,USGS_MCS2025_WORLD,\n',
    });
    const r = runCli(['data', 'check', '--data', dir]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/production\.csv:2:4: error \[cell-value\] quantity: -5 is negative/);
    expect(r.stdout).toMatch(/FAILED: \d+ error/);
  });

  it("reports an overlay's bad row as its own error only: the embedded row it would replace stays", () => {
    // USA's 2024 rare-earth output at -5: the row was dropped with the embedded row it replaced, and the world-totals
    // check then failed on data/world_totals.csv (country rows 10.5% short), an error that was not the user's.
    const dir = overlayDir({
      'production.csv':
        'commodity,region,year,quantity,unit,source,note\nrare-earths/concentrate,USA,2024,-5,t REO,USGS_MCS2025_WORLD,\n',
    });
    const r = runCli(['data', 'check', '--data', dir]);
    expect(r.status).toBe(1);
    const errors = r.stdout.split('\n').filter((l) => / error \[/.test(l));
    expect(errors).toEqual([
      expect.stringMatching(
        /production\.csv:2:4: error \[cell-value\] quantity: -5 is negative — fix: correct the cell \(quantity: /,
      ),
    ]);
    const usa = loadDataset({ overlays: [dir] }).tables.production.find(
      (p) => p.commodity === 'rare-earths/concentrate' && p.region === 'USA' && p.year === 2024,
    );
    expect(usa?.quantity).toBeGreaterThan(0);
  });

  it("refuses a project capacity in a unit that is not its good's, as every other quantity", () => {
    // It was a warning, and the project commands dropped the project unseen ("Not valued").
    const header =
      'id,name,company,region,commodity,status,start_year,capacity,capacity_unit,capacity_source,capacity_low,capacity_high,capex_musd,capex_musd_source,capex_musd_low,capex_musd_high,cash_cost,cash_cost_unit,cash_cost_source,lead_time_years,lead_time_years_source,life_years,life_years_source,integrated,byproduct_of,support,source,note';
    const row = (unit: string) =>
      `PRJ_UNIT,Probe lithium plant,Probe Co,USA,lithium/chemicals,feasibility,,13000,${unit},,,,1537,,,,2766,USD/t LCE,,,,40,,true,,,CENTURY_FS_2024,probe`;
    const bad = runCli(['data', 'check', '--data', overlayDir({ 'projects.csv': `${header}\n${row('t REO')}\n` })]);
    expect(bad.status).toBe(1);
    expect(bad.stdout).toMatch(
      /projects\.csv:2:9: error \[unit-mismatch\] capacity_unit: projects: capacity unit 't REO' does not convert to lithium\/chemicals's unit — fix: state capacity in t LCE per year/,
    );
    // Another scale of the same unit is read.
    const good = runCli(['data', 'check', '--data', overlayDir({ 'projects.csv': `${header}\n${row('t LCE')}\n` })]);
    expect(good.status, good.stdout).toBe(0);
  });

  it('refuses to summarise bad data, without a stack trace', () => {
    const dir = overlayDir({
      'production.csv':
        'commodity,region,year,quantity,unit,source,note\nrare-earths/concentrate,ATL,2024,5,t REO,USGS_MCS2025_WORLD,\n',
    });
    const r = runCli(['data', 'summary', '--data', dir]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/production\.csv:2:2: error \[unknown-region\] region: unknown region 'ATL'/);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it('lets a user overlay their own numbers, replacing the embedded row with the same key', () => {
    const bloc = (args: string[]) => {
      const r = runCli(['data', 'summary', '--year', '2024', '--json', ...args]);
      expect(r.status).toBe(0);
      const rows = JSON.parse(r.stdout) as SummaryRow[];
      return rows.find((x) => x.commodity === 'rare-earths/concentrate')?.blocShare ?? Number.NaN;
    };
    const dir = overlayDir({
      'production.csv':
        'commodity,region,year,quantity,unit,source,note\nrare-earths/concentrate,USA,2024,46000,t REO,USGS_MCS2025_WORLD,a user revision\n',
    });
    expect(bloc(['--data', dir])).toBeGreaterThan(bloc([]));
  });

  it('reports a folder that does not exist', () => {
    const r = runCli(['data', 'check', '--data', '/no/such/folder']);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/\/no\/such\/folder: error \[data-folder\] no such folder/);
    // A file where the folder should be is there, and is not a folder.
    const file = path.join(overlayDir({}), 'production.csv');
    writeFileSync(file, 'x');
    expect(runCli(['data', 'check', '--data', file]).stdout).toMatch(
      /production\.csv: error \[data-folder\] is not a folder/,
    );
  });

  it('refuses a CSV file no table reads, suggesting the table it was meant for, and an empty folder', () => {
    const errors = (files: Record<string, string>) =>
      loadDataset({ overlays: [overlayDir(files)] })
        .issues.filter((i) => i.check === 'data-folder' && i.severity === 'error')
        .map(formatIssue);
    const production = 'commodity,region,year,quantity,unit,source,note\n';
    expect(errors({ 'Production.csv': production })).toEqual([
      expect.stringMatching(
        /Production\.csv: error \[data-folder\] 'Production\.csv' is not the file of any table, so it would be ignored \(did you mean 'production\.csv'\?\) — fix: rename it .*: sources\.csv, /,
      ),
    ]);
    expect(errors({ 'foo.csv': 'a,b\n1,2\n', 'notes.txt': 'mine' })).toEqual([
      expect.stringMatching(/foo\.csv: error \[data-folder\] 'foo\.csv' is not the file of any table/),
    ]);
    expect(errors({ 'README.md': 'my revisions' })).toEqual([
      expect.stringMatching(/: error \[data-folder\] holds no CSV tables, so it would overlay nothing/),
    ]);
    expect(errors({ 'production.csv': production })).toEqual([]);
    const r = runCli(['data', 'check', '--data', overlayDir({ 'foo.csv': 'a,b\n1,2\n' })]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/foo\.csv: error \[data-folder\]/);
  });
});

describe('overlay CSV files as spreadsheets and editors write them', () => {
  const header = 'commodity,region,year,quantity,unit,source,note';
  const usa = (note: string) => `rare-earths/concentrate,USA,2024,46000,t REO,USGS_MCS2025_WORLD,${note}`;
  const issuesOf = (dir: string) => loadDataset({ overlays: [dir] }).issues.filter((i) => i.severity === 'error');

  it('a byte-order mark, CRLF, a quoted line break, blank lines and rows of empty cells below are read', () => {
    // The rows of empty cells (',,,,,,' that a spreadsheet leaves) were an error per required cell, per row.
    const text = `\uFEFF${header}\r\n${usa('"two\r\nlines"')}\r\n\r\n,,,,,,\r\n , ,,,,,\r\n\r\n`;
    const dir = overlayDir({ 'production.csv': text });
    expect(issuesOf(dir)).toEqual([]);
    const row = loadDataset({ overlays: [dir] }).tables.production.find(
      (p) => p.commodity === 'rare-earths/concentrate' && p.region === 'USA' && p.year === 2024,
    );
    expect(row?.quantity).toBe(46000);
    expect(row?.note).toBe('two\r\nlines');
  });

  it('a row with a line break in a quoted cell, and the rows after it, are at the lines they start on, LF, CRLF or CR', () => {
    // The row was placed at its last line, and with CRLF each quoted line break counted twice: the row after a
    // two-line note was reported a line too far down, the next one two.
    for (const eol of ['\n', '\r\n', '\r']) {
      const text = [
        header,
        `rare-earths/concentrate,USA,2024,-5,t REO,USGS_MCS2025_WORLD,"one${eol}two${eol}three"`,
        '',
        `rare-earths/concentrate,USA,2023,-7,t REO,USGS_MCS2025_WORLD,"a${eol}b"`,
        `rare-earths/concentrate,USA,2022,-9,t REO,USGS_MCS2025_WORLD,c`,
        '',
      ].join(eol);
      const placed = issuesOf(overlayDir({ 'production.csv': text })).map((i) => `${i.line}:${i.column} ${i.message}`);
      expect(placed, JSON.stringify(eol)).toEqual(['2:4 -5 is negative', '6:4 -7 is negative', '8:4 -9 is negative']);
    }
  });

  it('a duplicated header, a row with too many cells: one error each, located', () => {
    const dupe = overlayDir({ 'production.csv': `${header},quantity\n${usa('x')},47000\n` });
    expect(issuesOf(dupe).map(formatIssue)).toEqual([
      expect.stringMatching(/production\.csv:1:8: error \[csv-format\] column 'quantity' appears twice$/),
    ]);
    const wide = overlayDir({ 'production.csv': `${header}\n${usa('x')},extra\n` });
    expect(issuesOf(wide).map(formatIssue)).toEqual([
      expect.stringMatching(/production\.csv:2: error \[csv-format\] the row has 8 cells but the header has 7/),
    ]);
  });

  it('a table file that is a folder, binary or Latin-1: one error naming the file, and the run goes on to report', () => {
    // A folder named production.csv stopped every command with the bare 'EISDIR: illegal operation on a directory'.
    const folder = overlayDir({});
    mkdirSync(path.join(folder, 'production.csv'));
    expect(issuesOf(folder).map(formatIssue)).toContainEqual(
      expect.stringMatching(/production\.csv: error \[csv-format\] is a folder, not a file — fix: /),
    );
    const r = runCli(['data', 'check', '--data', folder]);
    expect(r.status).toBe(1);
    expect(r.stdout).toMatch(/production\.csv: error \[csv-format\] is a folder, not a file/);
    expect(r.stderr).not.toMatch(/EISDIR/);
    // The binary's bytes were echoed as a column name, with an error per missing column.
    const binary = overlayDir({ 'production.csv': '\u0000\u0001\u0002' });
    expect(issuesOf(binary).map(formatIssue)).toEqual([
      expect.stringMatching(/production\.csv:1:1: error \[csv-format\] is not a text file: it holds a NUL byte/),
    ]);
    // UTF-16 (Excel's 'Unicode Text'): text, but not UTF-8; its NUL bytes are no sign of a binary file.
    const utf16 = overlayDir({});
    writeFileSync(path.join(utf16, 'production.csv'), Buffer.from(`\uFEFF${header}\n${usa('x')}\n`, 'utf16le'));
    expect(issuesOf(utf16).map(formatIssue)).toEqual([
      expect.stringMatching(/production\.csv: error \[csv-format\] is UTF-16 text, not UTF-8: save the file as UTF-8/),
    ]);
    // Latin-1 (Excel's 'CSV' on Windows): the 'é' was read as U+FFFD into the note, unseen.
    const latin1 = overlayDir({});
    writeFileSync(path.join(latin1, 'production.csv'), Buffer.from(`${header}\n${usa('caf\xe9')}\n`, 'latin1'));
    expect(issuesOf(latin1).map(formatIssue)).toEqual([
      expect.stringMatching(/production\.csv:2:68: error \[csv-format\] is not UTF-8 text: .*save the file as UTF-8/),
    ]);
  });

  it('an overlay table of a header alone is a warning that it overlays nothing (it was silent)', () => {
    const dir = overlayDir({ 'production.csv': `${header}\n` });
    expect(loadDataset({ overlays: [dir] }).issues.map(formatIssue)).toEqual([
      expect.stringMatching(
        /production\.csv: warning \[data-folder\] has a header and no rows, so it overlays nothing/,
      ),
    ]);
    // With a row, nothing to say.
    expect(issuesOf(overlayDir({ 'production.csv': `${header}\n${usa('mine')}\n` }))).toEqual([]);
  });

  it('a table that is a link to a CSV elsewhere is a table of the folder: read, and held to its name', () => {
    // A folder of links was 'holds no CSV tables, so it would overlay nothing' (while its tables were read), and a
    // link named after no table was left out in silence.
    const elsewhere = overlayDir({ 'mine.csv': `${header}\n${usa('linked')}\n` });
    const dir = overlayDir({});
    symlinkSync(path.join(elsewhere, 'mine.csv'), path.join(dir, 'production.csv'));
    expect(issuesOf(dir)).toEqual([]);
    expect(loadDataset({ overlays: [dir] }).tables.production.find((p) => p.note === 'linked')?.quantity).toBe(46000);
    symlinkSync(path.join(elsewhere, 'mine.csv'), path.join(dir, 'Productions.csv'));
    expect(issuesOf(dir).map(formatIssue)).toEqual([
      expect.stringMatching(/Productions\.csv: error \[data-folder\] 'Productions\.csv' is not the file of any table/),
    ]);
    // A link to a file that is gone was no table at all, in silence.
    const dangling = overlayDir({});
    symlinkSync(path.join(elsewhere, 'gone.csv'), path.join(dangling, 'production.csv'));
    expect(issuesOf(dangling).map(formatIssue)).toContainEqual(
      expect.stringMatching(/production\.csv: error \[data-folder\] is a link to \S*gone\.csv, which does not exist/),
    );
    // So was a link to a folder.
    const toFolder = overlayDir({});
    symlinkSync(elsewhere, path.join(toFolder, 'production.csv'));
    expect(issuesOf(toFolder).map(formatIssue)).toContainEqual(
      expect.stringMatching(/production\.csv: error \[data-folder\] is a link to \S+, which is a folder, not a table/),
    );
  });

  it('a table saved with tabs or semicolons: one error saying so, not one per column', () => {
    for (const [sep, word] of [
      ['\t', 'tabs'],
      [';', 'semicolons'],
    ] as const) {
      const dir = overlayDir({
        'production.csv': `${header.replaceAll(',', sep)}\n${usa('x').replaceAll(',', sep)}\n`,
      });
      expect(issuesOf(dir).map(formatIssue)).toEqual([
        expect.stringMatching(
          new RegExp(
            `production\\.csv:1: error \\[csv-format\\] the header is one cell holding ${word}: the file is not comma-separated`,
          ),
        ),
      ]);
    }
  });
});

describe('lodestone data schema', () => {
  it('documents every column of a table', () => {
    const r = runCli(['data', 'schema', 'producers']);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/\| cash_cost \| number \| commodity price unit \|/);
  });
  it('names the tables when asked for an unknown one', () => {
    const r = runCli(['data', 'schema', 'widgets']);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/unknown table 'widgets'; the tables are sources, assumptions/);
  });
});

describe('docs/data-schema.md', () => {
  it('is the current output of lodestone data schema', () => {
    const doc = readFileSync(path.join(ROOT, 'docs/data-schema.md'), 'utf8');
    const generated = runCli(['data', 'schema']).stdout;
    expect(doc.endsWith(generated)).toBe(true);
  });
});

describe('output into a pipe closed early', () => {
  it('ends quietly, exit 0, when the reader stops after the first line (| head -1)', () => {
    const r = spawnSync(
      'sh',
      ['-c', `"${process.execPath}" "${path.join(ROOT, 'bin/lodestone.mjs')}" data sources | head -1`],
      {
        encoding: 'utf8',
      },
    );
    expect(r.stdout.split('\n').filter(Boolean)).toHaveLength(1);
    expect(r.stderr).not.toMatch(/EPIPE|Unhandled|at .*\.(ts|js)/);
    // The shell reports the last command of the pipe; ask it for the first one's status too.
    const status = spawnSync(
      'bash',
      [
        '-c',
        `"${process.execPath}" "${path.join(ROOT, 'bin/lodestone.mjs')}" data sources | head -1 >/dev/null; echo \${PIPESTATUS[0]}`,
      ],
      { encoding: 'utf8' },
    );
    expect(status.stdout.trim()).toBe('0');
  });
});
