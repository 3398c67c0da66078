import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-config-'));
});
afterEach(() => {
  fs.rmSync(root, { recursive: true, force: true });
});

const config = (text: string) => {
  fs.writeFileSync(path.join(root, 'govern.config.yaml'), text);
  return loadConfig(root);
};
const at = (line: number, column: number) => ({ file: 'govern.config.yaml', line, column });

describe('gates in govern.config.yaml', () => {
  it('loads every gate with the position of its name and of every field', () => {
    const loaded = config(
      [
        'include: []',
        'gates:',
        '  memory-store:',
        '    description: memoryd, OTLP ingest and the memory API',
        '    requires: [GV-04]',
        '    project: ./libs/memory-store/',
        '  binder:',
        '    requires:',
        '      - GV-04',
        '      - "GV-05"',
        '',
      ].join('\n'),
    );
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.config).toEqual({
      include: [],
      exclude: [],
      gates: {
        'memory-store': {
          description: 'memoryd, OTLP ingest and the memory API',
          requires: ['GV-04'],
          project: 'libs/memory-store',
          at: { name: at(3, 3), description: at(4, 18), requires: [at(5, 16)], project: at(6, 14) },
        },
        binder: { requires: ['GV-04', 'GV-05'], at: { name: at(7, 3), requires: [at(9, 9), at(10, 9)] } },
      },
    });
  });

  it('keeps gate order as written and treats an empty gates: as none', () => {
    expect(Object.keys(config('gates:\n  zeta:\n    requires: [A-1]\n  alpha:\n    requires: [A-2]\n').config.gates ?? {})).toEqual(['zeta', 'alpha']);
    const empty = config('gates:\n');
    expect(empty).toMatchObject({ config: { include: [], exclude: [] }, diagnostics: [] });
    expect(empty.config.gates).toBeUndefined();
  });

  it('reports an unknown gate field at its key, keeping the unknown-key behaviour', () => {
    const loaded = config('gates:\n  statehub:\n    requires: [GV-03]\n    projects: apps/statehub\n');
    expect(loaded.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'config-invalid',
        message: 'unknown key "gates.statehub.projects"',
        expected: 'one of the documented keys',
        file: 'govern.config.yaml',
        line: 4,
        column: 5,
      },
    ]);
    expect(loaded.config).toEqual({ include: [], exclude: [] });
  });

  it('reports a gate without requires at the gate name', () => {
    expect(config('gates:\n  binder:\n    project: libs/binder\n').diagnostics).toEqual([
      {
        severity: 'error',
        code: 'config-invalid',
        message: 'gates.binder: missing key "requires" (Invalid input: expected array, received undefined)',
        file: 'govern.config.yaml',
        line: 2,
        column: 3,
      },
    ]);
  });

  it('reports a bad gate name at the name, and bad values at the value', () => {
    const loaded = config('gates:\n  Memory Store:\n    requires: [GV-04]\n  ok:\n    requires: GV-04\n  empty:\n    requires: []\n  out:\n    requires: [X-1]\n    project: ../elsewhere\n');
    expect(loaded.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'config-invalid',
        message: 'gates.Memory Store: invalid name: a gate name is lower-case letters, digits and "-", starting with a letter',
        file: 'govern.config.yaml',
        line: 2,
        column: 3,
      },
      { severity: 'error', code: 'config-invalid', message: 'gates.ok.requires: Invalid input: expected array, received string', file: 'govern.config.yaml', line: 5, column: 15 },
      { severity: 'error', code: 'config-invalid', message: 'gates.empty.requires: Too small: expected array to have >=1 items', file: 'govern.config.yaml', line: 7, column: 15 },
      {
        severity: 'error',
        code: 'config-invalid',
        message: 'gates.out.project: project is a folder relative to the repository root, with "/" separators and no ".."',
        file: 'govern.config.yaml',
        line: 10,
        column: 14,
      },
    ]);
  });
});

describe('repo and repos in govern.config.yaml', () => {
  it('loads the name and every other root, in either form, with the position of its path', () => {
    const loaded = config(['repo: dome', 'repos:', '  - ../xtrlv2', '  - path: /srv/watcher', '    name: watcher', ''].join('\n'));
    expect(loaded).toMatchObject({ diagnostics: [] });
    expect(loaded.config).toEqual({
      include: [],
      exclude: [],
      repo: 'dome',
      repos: [
        { path: '../xtrlv2', at: at(3, 5) },
        { path: '/srv/watcher', name: 'watcher', at: at(4, 11) },
      ],
    });
  });

  it('an empty repos: is none; a name that cannot prefix an id is reported at the value', () => {
    expect(config('repos:\n').config).toEqual({ include: [], exclude: [] });
    const loaded = config('repo: "my repo"\nrepos:\n  - path: ../x\n    name: "a:b"\n');
    expect(loaded.diagnostics.map((d) => [d.message, d.line, d.column])).toEqual([
      ['repo: a repository name is letters and digits, separated by single "-", "_" or ".", starting with a letter', 1, 7],
      ['repos.0.name: a repository name is letters and digits, separated by single "-", "_" or ".", starting with a letter', 4, 11],
    ]);
  });
});
