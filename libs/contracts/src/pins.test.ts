import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { checkPin, migrationNotesFor, pinText } from './pins.js';
import { contractsPin } from './registry.js';
import { checkConsumerPin, MIGRATION_NOTES_FILE, REPO_ROOT } from './testing.js';

const V1 = { version: '1.0.0', hash: 'a'.repeat(12) + '0'.repeat(52) };
const V2 = { version: '1.1.0', hash: 'b'.repeat(12) + '1'.repeat(52) };
const notes = (...headings: string[]) => ['# Contracts', '', '## Migration notes', '', ...headings.flatMap((h) => [h, '', 'What changed.', '']), '## Where the tests live', ''].join('\n');
const pin = (p: { version: string; hash: string }) => JSON.parse(pinText(p, '@govern/demo'));
const opts = (migrationNotes: string, current = V1) => ({ consumer: '@govern/demo', pinFile: 'libs/demo/contracts.pin.json', migrationNotes, current });

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

describe('checkPin', () => {
  it('a pin equal to the current version and hash, with its migration note: no problem', () => {
    expect(checkPin(pin(V1), opts(notes('### 1.0.0 (manifest aaaaaaaaaaaa)')))).toEqual([]);
  });

  it('an outdated pin says what the package is now and how to bump', () => {
    expect(checkPin(pin(V1), opts(notes('### 1.0.0 (manifest aaaaaaaaaaaa)', '### 1.1.0 (manifest bbbbbbbbbbbb)'), V2))).toEqual([
      {
        code: 'pin-outdated',
        message:
          '@govern/demo pins @govern/contracts 1.0.0 (aaaaaaaaaaaa) but the package is 1.1.0 (bbbbbbbbbbbb). ' +
          'To bump: read libs/contracts/CHANGELOG.md and the migration note for 1.1.0 in docs/contracts.md, adapt @govern/demo and its tests, then ' +
          `libs/demo/contracts.pin.json must contain:\n${pinText(V2, '@govern/demo')}`,
      },
    ]);
  });

  it('a bumped pin without a migration note for its version and hash fails', () => {
    const missing = {
      code: 'migration-note-missing',
      message:
        'docs/contracts.md has no migration note for 1.1.0 (bbbbbbbbbbbb): add a "### 1.1.0 (manifest bbbbbbbbbbbb)" entry under "## Migration notes" saying what changed and what a consumer must do',
    };
    expect(checkPin(pin(V2), opts(notes('### 1.0.0 (manifest aaaaaaaaaaaa)'), V2))).toEqual([missing]);
    // The version alone, or the hash of another version, is not the note.
    expect(checkPin(pin(V2), opts(notes('### 1.1.0 (manifest aaaaaaaaaaaa)'), V2))).toEqual([missing]);
    expect(checkPin(pin(V2), opts(notes('### 1.1.0'), V2))).toEqual([missing]);
  });

  it('a pin that is not one is refused with the text to write', () => {
    const problems = checkPin({ package: '@govern/contracts', version: '1.0', hash: 'x' }, opts(notes()));
    expect(problems).toEqual([
      {
        code: 'pin-invalid',
        message:
          'libs/demo/contracts.pin.json is not a pin of @govern/contracts (version: a semver version (1.2.3); hash: the manifest sha256: 64 lowercase hex digits); ' +
          `libs/demo/contracts.pin.json must contain:\n${pinText(V1, '@govern/demo')}`,
      },
    ]);
    expect(checkPin(undefined, opts(notes())).map((p) => p.code)).toEqual(['pin-invalid']);
  });
});

describe('migrationNotesFor', () => {
  it('reads only ### headings of the migration-notes section, and whole versions only', () => {
    const md = [
      '## Versions',
      '### 1.0.0 (manifest aaaaaaaaaaaa)', // another section
      '## Migration notes',
      '- 1.0.0 aaaaaaaaaaaa', // not a heading
      '### 11.0.0 (manifest aaaaaaaaaaaa)',
      '### 1.0.0.1 (manifest aaaaaaaaaaaa)',
      '### 1.0.0 — manifest aaaaaaaaaaaa, the first release',
      '## After',
      '### 1.0.0 (manifest aaaaaaaaaaaa) again',
    ].join('\n');
    expect(migrationNotesFor(md, V1)).toEqual(['### 1.0.0 — manifest aaaaaaaaaaaa, the first release']);
    expect(migrationNotesFor('# no section\n### 1.0.0 aaaaaaaaaaaa\n', V1)).toEqual([]);
  });
});

describe('checkConsumerPin', () => {
  it('reads a pin file and docs/contracts.md under a root; a missing pin file is a problem, not an exception', () => {
    const root = fs.mkdtempSync(path.join(os.tmpdir(), 'pin-'));
    dirs.push(root);
    fs.mkdirSync(path.join(root, 'docs'));
    fs.writeFileSync(path.join(root, MIGRATION_NOTES_FILE), notes('### 1.0.0 (manifest aaaaaaaaaaaa)'));
    const check = () => checkConsumerPin({ consumer: '@govern/demo', pinFile: 'contracts.pin.json', root, current: V1 });
    expect(check().map((p) => p.code)).toEqual(['pin-invalid']);
    fs.writeFileSync(path.join(root, 'contracts.pin.json'), pinText(V1, '@govern/demo'));
    expect(check()).toEqual([]);
  });

  it('the real docs/contracts.md carries the migration note of the current version', () => {
    const md = fs.readFileSync(path.join(REPO_ROOT, MIGRATION_NOTES_FILE), 'utf8');
    expect(migrationNotesFor(md, contractsPin())).toHaveLength(1);
  });
});
