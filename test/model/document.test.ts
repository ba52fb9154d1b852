/** YAML and JSON documents (policies): syntax errors and unknown keys at their own line and column. */
import { describe, expect, it } from 'vitest';
import { InputError, parseDocumentText } from '../../src/model/document.ts';
import { PolicySchema } from '../../src/model/policy.ts';

function errorOf(f: () => unknown): string {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(InputError);
    return (e as Error).message;
  }
  throw new Error('expected an InputError');
}

describe('a policy document', () => {
  it('a syntax error is at its line, not 1:1', () => {
    expect(
      errorOf(() => parseDocumentText('members: [USA]\nfloors: { ndpr/oxide: 5\n', 'p.yaml', PolicySchema)),
    ).toMatch(/^p\.yaml:2:24: Flow map .*\(the '\{' opened at line 2, column 9\)$/);
  });

  it('an unknown key is at the key, with the closest allowed one', () => {
    expect(
      errorOf(() => parseDocumentText('members: [USA]\n\nfloor: { ndpr/oxide: 5 }\n', 'p.yaml', PolicySchema)),
    ).toMatch(/^p\.yaml:3:1: floor: unknown key 'floor' \(did you mean 'floors'\?\); the keys allowed here are name, /);
  });
});
