/** YAML and JSON documents (policies): syntax errors and unknown keys at their own line and column. */
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { policyFromFlags } from '../../src/cli/solve.ts';
import { parseDocumentText, readDocumentFile } from '../../src/model/document.ts';
import { PolicySchema } from '../../src/model/policy.ts';
import { inputErrorOf } from '../helpers.ts';

describe('a policy document', () => {
  it('a syntax error is at its line, not 1:1', () => {
    expect(
      inputErrorOf(() => parseDocumentText('members: [USA]\nfloors: { ndpr/oxide: 5\n', 'p.yaml', PolicySchema)),
    ).toMatch(/^p\.yaml:2:24: Flow map .*\(the '\{' opened at line 2, column 9\)$/);
  });

  it('an unknown key is at the key, with the closest allowed one', () => {
    expect(
      inputErrorOf(() => parseDocumentText('members: [USA]\n\nfloor: { ndpr/oxide: 5 }\n', 'p.yaml', PolicySchema)),
    ).toMatch(/^p\.yaml:3:1: floor: unknown key 'floor' \(did you mean 'floors'\?\); the keys allowed here are name, /);
  });

  it('an unknown key inside a list entry is refused too, at the key', () => {
    const cases: [string, RegExp][] = [
      [
        'cfds:\n  - commodity: ndpr/oxide\n    strke: 110000\n',
        /^p\.yaml:3:5: cfds\.0\.strke: unknown key 'strke' \(did you mean 'strike'\?\)/,
      ],
      [
        'bans:\n  - origin: CHN\n    commodities: "*"\n    destinations: members\n    duraton: 2\n',
        /^p\.yaml:5:5: bans\.0\.duraton: unknown key/,
      ],
      [
        'exportTaxes:\n  - { origin: CHN, commodity: ndpr/oxide, rat: 0.1 }\n',
        /^p\.yaml:2:43: exportTaxes\.0\.rat: unknown key/,
      ],
      [
        'stockpiles:\n  - { region: USA, commodity: gallium/refined, relasePrice: 5 }\n',
        /stockpiles\.0\.relasePrice: unknown key 'relasePrice' \(did you mean 'releasePrice'\?\)/,
      ],
      [
        'quotas:\n  - { origin: CHN, commodity: ndpr/oxide, destinations: "*", quota: 5, qouta: 6 }\n',
        /quotas\.0\.qouta: unknown key/,
      ],
    ];
    for (const [text, message] of cases)
      expect(inputErrorOf(() => parseDocumentText(text, 'p.yaml', PolicySchema))).toMatch(message);
  });

  it('a floor or a strike of zero is refused, in a policy file and in --floor', () => {
    expect(inputErrorOf(() => parseDocumentText('floors: { ndpr/oxide: 0 }\n', 'p.yaml', PolicySchema))).toMatch(
      /^p\.yaml:1:\d+: floors\.ndpr\/oxide: 0 is zero: a price must be above zero/,
    );
    expect(
      inputErrorOf(() => parseDocumentText('cfds: [{ commodity: ndpr/oxide, strike: 0 }]\n', 'p.yaml', PolicySchema)),
    ).toMatch(/cfds\.0\.strike: 0 is zero: a price must be above zero/);
    expect(inputErrorOf(() => policyFromFlags({ members: 'default', floor: ['ndpr/oxide=0'] }))).toMatch(/0 is zero/);
  });

  it('a number out of its range names the value given and the bound, not only zod\'s "Too small"', () => {
    expect(
      inputErrorOf(() =>
        parseDocumentText(
          'stockpiles:\n  - { region: USA, commodity: gallium/refined, releaseCap: -5, releasePrice: 1500 }\n',
          'p.yaml',
          PolicySchema,
        ),
      ),
    ).toMatch(/^p\.yaml:2:\d+: stockpiles\.0\.releaseCap: -5 is negative: it must be >=0$/);
    const schema = z.object({ days: z.number().max(3650), share: z.number().gt(0) });
    expect(inputErrorOf(() => parseDocumentText('days: 5000\nshare: 1\n', 's.yaml', schema))).toMatch(
      /^s\.yaml:1:\d+: days: 5000 is too large: it must be <=3650$/,
    );
    expect(inputErrorOf(() => parseDocumentText('days: 5\nshare: 0\n', 's.yaml', schema))).toMatch(
      /^s\.yaml:2:\d+: share: 0 is too small: it must be >0$/,
    );
  });

  it('a value of the wrong kind says what kinds would do', () => {
    expect(inputErrorOf(() => parseDocumentText('members: 5\n', 'p.yaml', PolicySchema))).toMatch(
      /^p\.yaml:1:10: members: Invalid input: expected a list or 'default'$/,
    );
  });

  it('members: an empty list or a member listed twice is refused, at the entry', () => {
    expect(inputErrorOf(() => parseDocumentText('members: []\n', 'p.yaml', PolicySchema))).toMatch(
      /^p\.yaml:1:10: members: must name at least one member/,
    );
    expect(inputErrorOf(() => parseDocumentText('members: [USA, EU27, USA]\n', 'p.yaml', PolicySchema))).toMatch(
      /^p\.yaml:1:22: members\.2: USA is listed twice \(also at members\.0\)/,
    );
  });
});

describe('a JSON or empty document', () => {
  it('a .json file is held to JSON: a trailing comma YAML would accept is refused', () => {
    // V8 gives no position for some tokens, only the text around them: found in the file, it places the error.
    expect(inputErrorOf(() => parseDocumentText('{"members": ["USA",], }', 'p.json', PolicySchema))).toMatch(
      /^p\.json:1:20: not valid JSON: Unexpected token/,
    );
    expect(inputErrorOf(() => parseDocumentText('{"floors": {"ndpr/oxide": NaN}}', 'p.json', PolicySchema))).toMatch(
      /^p\.json:1:27: not valid JSON: Unexpected token 'N'/,
    );
    // The quote begins ten characters before the token, whatever comes earlier (an N in "NdPr"); it may span lines.
    expect(inputErrorOf(() => parseDocumentText('{"floors": {"NdPr": NaN}}', 'p.json', PolicySchema))).toMatch(
      /^p\.json:1:21: /,
    );
    expect(
      inputErrorOf(() => parseDocumentText('{\n  "members": [\n    "USA",\n    NaN\n  ]\n}', 'p.json', PolicySchema)),
    ).toMatch(/^p\.json:4:5: /);
    expect(
      inputErrorOf(() => parseDocumentText('{"N": N, "bbbbbbbbbbbbbbbbbbbbbbbb": 1}', 'p.json', PolicySchema)),
    ).toMatch(/^p\.json:1:7: /);
    expect(
      inputErrorOf(() => parseDocumentText('{"members": ["USA"],\n "floors" {}}', 'p.json', PolicySchema)),
    ).toMatch(/^p\.json:2:/);
    // The same text in a .yaml file is YAML's to read.
    expect(parseDocumentText('{"members": ["USA",], }', 'p.yaml', PolicySchema).value.members).toEqual(['USA']);
  });

  it("a second document ('---') and an alias bomb are refused in words, with the file", () => {
    expect(
      inputErrorOf(() => parseDocumentText('members: [USA]\n---\nmembers: [JPN]\n', 'p.yaml', PolicySchema)),
    ).toMatch(/^p\.yaml:2:1: a second document \('---'\): this file is one YAML document/);
    let bomb = 'a0: &a0 [x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 9; i++)
      bomb += `a${i}: &a${i} [${Array(9)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    expect(inputErrorOf(() => parseDocumentText(bomb, 'p.yaml', PolicySchema))).toMatch(
      /^p\.yaml: its aliases \('\*' references to '&' anchors\) expand too far to read/,
    );
  });

  it('an empty document or one of comments only is refused, not read as no policy', () => {
    expect(inputErrorOf(() => parseDocumentText('', 'p.yaml', PolicySchema))).toMatch(
      /^p\.yaml:1:1: the document is empty/,
    );
    expect(inputErrorOf(() => parseDocumentText('# nothing yet\n', 'p.yaml', PolicySchema))).toMatch(
      /the document is empty/,
    );
    // A document of an empty string in quotes is not empty: it is a string where a mapping belongs.
    expect(inputErrorOf(() => parseDocumentText("''\n", 'p.yaml', PolicySchema))).toMatch(
      /^p\.yaml:1:1: \(document\): Invalid input: expected object, received string$/,
    );
  });
});

describe('solve flags', () => {
  it('a commodity given two floors by --floor is refused, naming both', () => {
    const known = ['ndpr/oxide'];
    expect(inputErrorOf(() => policyFromFlags({ floor: ['ndpr/oxide=110000', 'ndpr/oxide=5'] }, known))).toMatch(
      /^--floor 'ndpr\/oxide=5': ndpr\/oxide has a floor already \(--floor 'ndpr\/oxide=110000'\)/,
    );
  });

  it('a --floor too large to be a number is refused at the flag', () => {
    // 1e400 passed the flag's pattern and became Infinity, refused later as 'policy floors.ndpr/oxide: ... Infinity'.
    expect(inputErrorOf(() => policyFromFlags({ floor: ['ndpr/oxide=1e400'] }, ['ndpr/oxide']))).toMatch(
      /^--floor 'ndpr\/oxide=1e400': 1e400 is too large to be a price/,
    );
  });

  it('--members given empty, with an empty entry, or with a member twice is refused', () => {
    expect(inputErrorOf(() => policyFromFlags({ members: '' }))).toMatch(/^--members '': expected region codes/);
    expect(inputErrorOf(() => policyFromFlags({ members: 'USA,,EU27' }))).toMatch(/^--members 'USA,,EU27': expected/);
    expect(inputErrorOf(() => policyFromFlags({ members: 'USA,USA' }))).toMatch(
      /^--members 'USA,USA': USA is listed twice/,
    );
    expect(policyFromFlags({ members: 'USA, EU27' }).members).toEqual(['USA', 'EU27']);
  });

  it('--floor names an unknown commodity (with the closest known one) and a price that is not one', () => {
    const known = ['ndpr/oxide', 'gallium/refined'];
    expect(inputErrorOf(() => policyFromFlags({ floor: ['nope=5'] }, known))).toMatch(
      /^--floor 'nope=5': unknown commodity 'nope' \(the commodities: ndpr\/oxide, gallium\/refined\)$/,
    );
    expect(inputErrorOf(() => policyFromFlags({ floor: ['ndpr/oxid=5'] }, known))).toMatch(
      /^--floor 'ndpr\/oxid=5': unknown commodity 'ndpr\/oxid'; did you mean 'ndpr\/oxide'\?/,
    );
    expect(inputErrorOf(() => policyFromFlags({ floor: ['ndpr/oxide=-5'] }, known))).toMatch(/-5 is negative/);
    expect(inputErrorOf(() => policyFromFlags({ floor: ['ndpr/oxide=lots'] }, known))).toMatch(/'lots' is not a price/);
    expect(inputErrorOf(() => policyFromFlags({ floor: ['ndpr/oxide'] }, known))).toMatch(/expected COMMODITY=PRICE/);
    expect(policyFromFlags({ floor: ['ndpr/oxide=110000'] }, known).floors).toEqual({ 'ndpr/oxide': 110000 });
  });
});

describe('an unknown key in an entry of a discriminated union', () => {
  // Two kinds sharing most keys: a 'b' entry with an 'a' key covers as many of a's keys as of b's.
  const Entry = z.discriminatedUnion('kind', [
    z.object({ kind: z.literal('a'), shared: z.number(), alpha: z.number() }).strict(),
    z.object({ kind: z.literal('b'), shared: z.number(), beta: z.number() }).strict(),
  ]);
  const Doc = z.object({ entries: z.array(Entry) }).strict();

  it('is judged against the option its discriminator selects, whichever comes first', () => {
    expect(
      inputErrorOf(() => parseDocumentText('entries:\n  - { kind: b, shared: 1, beta: 2, alpha: 3 }\n', 'd.yaml', Doc)),
    ).toBe("d.yaml:2:36: entries.0.alpha: unknown key 'alpha'; the keys allowed in entries.0 are kind, shared, beta");
  });

  it('still suggests the closest key of the selected option', () => {
    expect(
      inputErrorOf(() => parseDocumentText('entries:\n  - { kind: b, shared: 1, betta: 2 }\n', 'd.yaml', Doc)),
    ).toMatch(
      /entries\.0\.betta: unknown key 'betta' \(did you mean 'beta'\?\); the keys allowed in entries\.0 are kind, shared, beta$/,
    );
  });
});

describe('hostile or unusual documents', () => {
  it("a key '__proto__' is refused at its place, with its path: read, it vanished with what it held", () => {
    // floors: { __proto__: ... } read as no floor at all, and 'solve' ran without the zone's floors, exit 0.
    expect(
      inputErrorOf(() =>
        parseDocumentText('members: default\nfloors:\n  __proto__: { ndpr/oxide: 110000 }\n', 'p.yaml', PolicySchema),
      ),
    ).toMatch(/^p\.yaml:3:3: floors\.__proto__: the key '__proto__' is not allowed/);
    expect(
      inputErrorOf(() =>
        parseDocumentText('{"members": "default", "floors": {"__proto__": 5}}', 'p.json', PolicySchema),
      ),
    ).toMatch(/^p\.json:1:35: floors\.__proto__: the key '__proto__' is not allowed/);
    const inList =
      'bans:\n  - { origin: CHN, commodities: "*", destinations: members }\n  - { origin: CHN, "__proto__": 1 }\n';
    expect(inputErrorOf(() => parseDocumentText(inList, 'p.yaml', PolicySchema))).toMatch(
      /^p\.yaml:3:20: bans\.1\.__proto__: /,
    );
    expect(inputErrorOf(() => parseDocumentText('__proto__: { members: [USA] }\n', 'p.yaml', PolicySchema))).toMatch(
      /^p\.yaml:1:1: __proto__: the key '__proto__' is not allowed/,
    );
    // Two keys YAML keeps apart but an object does not (1 and '1'): the later silently won.
    expect(
      inputErrorOf(() => parseDocumentText('members: default\nfloors:\n  1: 5\n  "1": 6\n', 'p.yaml', PolicySchema)),
    ).toBe(
      "p.yaml:4:3: floors.1: the key '1' (text) and the key 1 (a number) above are one setting once read: say it once",
    );
    // Written through an alias, the key is the same '__proto__' (it was read as no floor, exit 0).
    const aliased = 'name: &k __proto__\nmembers: default\nfloors:\n  *k : { ndpr/oxide: 110000 }\n';
    expect(inputErrorOf(() => parseDocumentText(aliased, 'p.yaml', PolicySchema))).toMatch(
      /^p\.yaml:4:3: floors\.__proto__: the key '__proto__' is not allowed/,
    );
  });

  it("a key of the wrong form in a mapping of commodities says which form, at the key, not zod's 'Invalid key'", () => {
    // 'constructor' is an ordinary word here: refused where it is no commodity, as any other.
    expect(inputErrorOf(() => parseDocumentText('floors: { constructor: 5 }\n', 'p.yaml', PolicySchema))).toBe(
      "p.yaml:1:11: floors.constructor: 'constructor' is not a key allowed here: must be a commodity id such as 'ndpr/oxide'",
    );
  });

  it('a byte-order mark and CRLF line ends are read: JSON.parse refused the mark', () => {
    expect(parseDocumentText('\uFEFF{"members": ["USA"]}', 'p.json', PolicySchema).value.members).toEqual(['USA']);
    const crlf = '\uFEFF# a policy\r\nmembers: [USA]\r\nfloors:\r\n  ndpr/oxide: 110000\r\n';
    expect(parseDocumentText(crlf, 'p.yaml', PolicySchema).value).toEqual({
      members: ['USA'],
      floors: { 'ndpr/oxide': 110000 },
    });
    // Lines that end in a lone CR (an old Mac file's) are lines too: YAML 1.2 counts CR as a line break.
    expect(parseDocumentText('members: [USA]\rfloors:\r  ndpr/oxide: 110000\r', 'p.yaml', PolicySchema).value).toEqual({
      members: ['USA'],
      floors: { 'ndpr/oxide': 110000 },
    });
    expect(
      inputErrorOf(() => parseDocumentText('members: [USA]\rfloors:\r  ndpr/oxide: -5\r', 'p.yaml', PolicySchema)),
    ).toMatch(/^p\.yaml:3:15: floors\.ndpr\/oxide: -5 is negative/);
    // Positions after the mark are the editor's: line 1, column 13 is the bad value, not column 14.
    expect(inputErrorOf(() => parseDocumentText('\uFEFF{"members": 5}', 'p.json', PolicySchema))).toMatch(
      /^p\.json:1:13: members: /,
    );
  });

  it('an empty .json file and a null document are refused as empty, not as bad JSON nor as no policy', () => {
    expect(inputErrorOf(() => parseDocumentText('', 'p.json', PolicySchema))).toMatch(
      /^p\.json:1:1: the document is empty/,
    );
    expect(inputErrorOf(() => parseDocumentText('  \n\n', 'p.json', PolicySchema))).toMatch(
      /^p\.json:1:1: the document is empty/,
    );
    // A bare document start writes no null: it is as empty as a file of comments.
    for (const text of ['---\n', '# a policy\n---\n...\n']) {
      expect(inputErrorOf(() => parseDocumentText(text, 'p.yaml', PolicySchema))).toMatch(
        /^p\.yaml:1:1: the document is empty/,
      );
    }
    // 'null' and '~' read as an empty policy: solve ran with no zone, exit 0.
    for (const [text, file] of [
      ['null\n', 'p.yaml'],
      ['~\n', 'p.yaml'],
      ['null', 'p.json'],
      ['# nothing yet\nnull\n', 'p.yaml'],
    ] as const) {
      expect(inputErrorOf(() => parseDocumentText(text, file, PolicySchema))).toMatch(
        new RegExp(`^p\\.${file.slice(2)}:\\d+:1: the document is null: expected a mapping`),
      );
    }
  });

  it('a number that is not finite (.inf, .nan, 1e309) is named as such, even where a string would do', () => {
    for (const n of ['.inf', '-.inf', '.nan', '1e309']) {
      expect(inputErrorOf(() => parseDocumentText(`floors: { ndpr/oxide: ${n} }\n`, 'p.yaml', PolicySchema))).toMatch(
        /^p\.yaml:1:23: floors\.ndpr\/oxide: (-?Infinity|NaN) is not a finite number \(read from \.inf, \.nan, or a number beyond ±1\.8e308\)/,
      );
    }
    const either = z.object({ strike: z.union([z.number().finite(), z.string()]) });
    expect(inputErrorOf(() => parseDocumentText('strike: 1e309\n', 's.yaml', either))).toMatch(
      /^s\.yaml:1:9: strike: Infinity is not a finite number/,
    );
  });

  it('a number written in quotes says so, where zod said only that it received a string', () => {
    expect(inputErrorOf(() => parseDocumentText('floors: { ndpr/oxide: "110000" }\n', 'p.yaml', PolicySchema))).toBe(
      "p.yaml:1:23: floors.ndpr/oxide: '110000' is text (in quotes), not a number: write it without the quotes",
    );
    expect(inputErrorOf(() => parseDocumentText('{"floors": {"ndpr/oxide": "1e5"}}', 'p.json', PolicySchema))).toMatch(
      /^p\.json:1:27: floors\.ndpr\/oxide: '1e5' is text \(in quotes\), not a number/,
    );
    // Written bare in a form JavaScript reads as a number but YAML does not, it was never in quotes (it said so).
    expect(inputErrorOf(() => parseDocumentText('floors: { ndpr/oxide: 0b101 }\n', 'p.yaml', PolicySchema))).toBe(
      "p.yaml:1:23: floors.ndpr/oxide: '0b101' is text, not a number: write it as a decimal number (such as 110000)",
    );
    // Text that is no number is still a string where a number belongs.
    expect(inputErrorOf(() => parseDocumentText('floors: { ndpr/oxide: lots }\n', 'p.yaml', PolicySchema))).toMatch(
      /floors\.ndpr\/oxide: Invalid input: expected number, received string$/,
    );
  });

  it('nesting hundreds of levels deep is refused in words, not as a full call stack', () => {
    const deep = `{"members": ${'['.repeat(100_000)}${']'.repeat(100_000)}}`;
    expect(inputErrorOf(() => parseDocumentText(deep, 'p.json', PolicySchema))).toMatch(
      /^p\.json:1:\d+: nested too deeply to read/,
    );
  });
});

describe('document files that cannot be read as text', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'lodestone-documents-'));
  const file = (name: string, bytes: string | Buffer) => {
    const f = path.join(dir, name);
    writeFileSync(f, bytes);
    return f;
  };

  it('a folder, a missing file: the reason in words', () => {
    const folder = path.join(dir, 'policy.yaml');
    mkdirSync(folder);
    expect(inputErrorOf(() => readDocumentFile(folder, PolicySchema))).toBe(`${folder}: is a folder, not a file`);
    expect(inputErrorOf(() => readDocumentFile(path.join(dir, 'none.yaml'), PolicySchema))).toBe(
      `${path.join(dir, 'none.yaml')}: no such file`,
    );
    // A file where a folder should be, links in a loop: said in words too, not as ENOTDIR or ELOOP.
    const notFolder = path.join(dir, 'plain.txt');
    writeFileSync(notFolder, 'x');
    expect(inputErrorOf(() => readDocumentFile(path.join(notFolder, 'p.yaml'), PolicySchema))).toBe(
      `${path.join(notFolder, 'p.yaml')}: no such file: a folder on its path is a file`,
    );
    const loop = path.join(dir, 'loop.yaml');
    symlinkSync(loop, loop);
    expect(inputErrorOf(() => readDocumentFile(loop, PolicySchema))).toBe(
      `${loop}: cannot read the file: its links lead round in a loop`,
    );
  });

  it('a device or a pipe that never ends is refused at a size no input has, not read until memory runs out', () => {
    // /dev/zero was read on and on: 5.6 GB resident after 30 s, and no answer.
    expect(inputErrorOf(() => readDocumentFile('/dev/zero', PolicySchema))).toBe(
      '/dev/zero: is larger than 64 MiB, more than any file Lodestone reads',
    );
  });

  it('a binary file and a Latin-1 file are refused at the first byte that is not UTF-8 text', () => {
    // The binary read as a string of U+FFFD ('expected object'); the Latin-1 'é' read as U+FFFD into the name.
    const binary = file('binary.yaml', Buffer.from([0x6d, 0x3a, 0x20, 0x00, 0xff, 0xfe]));
    expect(inputErrorOf(() => readDocumentFile(binary, PolicySchema))).toBe(
      `${binary}:1:4: is not a text file: it holds a NUL byte`,
    );
    const latin1 = file('latin1.yaml', Buffer.from('members: default\nname: caf\xe9\n', 'latin1'));
    expect(inputErrorOf(() => readDocumentFile(latin1, PolicySchema))).toMatch(
      new RegExp(`^${latin1.replace(/[.]/g, '\\.')}:2:10: is not UTF-8 text: .*save the file as UTF-8$`),
    );
    // A U+FFFD written in UTF-8 is the user's own character.
    expect(readDocumentFile(file('own.yaml', 'name: caf\uFFFD\n'), PolicySchema).value.name).toBe('caf\uFFFD');
    // ...and the bad byte after it is placed where it is, not at the user's U+FFFD (it was 1:10); so is one after a
    // byte-order mark, and one in a file whose lines end in a lone CR (it was 1:28: only LF counted).
    const after = file(
      'after.yaml',
      Buffer.concat([Buffer.from('name: caf\uFFFD\nmembers: default\n'), Buffer.from('x: \xe9\n', 'latin1')]),
    );
    expect(inputErrorOf(() => readDocumentFile(after, PolicySchema))).toMatch(/:3:4: is not UTF-8 text: /);
    const marked = file(
      'marked.yaml',
      Buffer.concat([Buffer.from('\uFEFFname: a\n'), Buffer.from('x: \xe9\n', 'latin1')]),
    );
    expect(inputErrorOf(() => readDocumentFile(marked, PolicySchema))).toMatch(/:2:4: is not UTF-8 text: /);
    const mac = file('mac.yaml', Buffer.from('members: default\rname: a\rx: caf\xe9\r', 'latin1'));
    expect(inputErrorOf(() => readDocumentFile(mac, PolicySchema))).toMatch(/:3:7: is not UTF-8 text: /);
  });
});
