import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createGateNodes, type GateNodesDeps } from './nx.js';

const roots: string[] = [];
afterEach(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});
function repo(files: Record<string, string>): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-nx-'));
  roots.push(root);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

const TRACKER = '| Milestone | Status |\n|---|---|\n| GV-03 StateHub | Done |\n| GV-04 Memory store | Planned |\n';
const CONFIG = `gates:
  statehub:
    requires: [GV-03]
    project: apps/statehub
  memory-store:
    requires: [GV-03, GV-04]
    project: libs/memory-store
  binder:
    requires: [GV-04]
    project: libs/binder
  no-project:
    requires: [GV-04]
`;
const FILES = ['govern.config.yaml', 'trackers/t.md'];

async function run(files: readonly string[], root: string, load?: GateNodesDeps['load']) {
  const warnings: string[] = [];
  const result = await createGateNodes(files, undefined, { workspaceRoot: root }, { warn: (m) => warnings.push(m), ...(load ? { load } : {}) });
  return { result, warnings };
}

const DISABLED = 'Disabled by gate memory-store (GV-04 "Memory store" is planned (at trackers/t.md:4:24)). Its tests still run; gating is product enablement.';

/** The `gate` target: `nx show project` prints its scriptContent; running it checks the gate. */
const gateTarget = (names: string[], summary: string) => ({
  executor: 'nx:run-commands',
  options: { command: names.map((n) => `node apps/cli/bin/govern.mjs gates --require ${n}`).join(' && '), cwd: '{workspaceRoot}' },
  cache: false,
  metadata: { description: summary, scriptContent: summary },
});

describe('createGateNodes', () => {
  it('tags each existing gated project enabled or disabled, with metadata saying why; skips roots with no project', async () => {
    const root = repo({
      'govern.config.yaml': CONFIG,
      'trackers/t.md': TRACKER,
      'apps/statehub/package.json': '{"name":"statehub"}',
      'libs/memory-store/project.json': '{"name":"memory-store"}',
      // A folder without project.json or package.json is not an Nx project: left alone.
      'libs/binder/README.md': 'soon',
    });
    expect(await run(FILES, root)).toEqual({
      warnings: [],
      result: [
        [
          'govern.config.yaml',
          {
            projects: {
              'apps/statehub': {
                tags: ['gate:statehub', 'gate:enabled'],
                targets: { gate: gateTarget(['statehub'], 'gate statehub: enabled — GV-03 done') },
                metadata: {
                  description: 'Enabled by gate statehub: GV-03 done.',
                  govern: {
                    gates: ['statehub'],
                    enabled: true,
                    reason: 'Enabled by gate statehub: GV-03 done.',
                    summary: 'gate statehub: enabled — GV-03 done',
                    requires: ['GV-03'],
                    blockedBy: [],
                  },
                },
              },
              'libs/memory-store': {
                tags: ['gate:memory-store', 'gate:disabled'],
                targets: { gate: gateTarget(['memory-store'], 'gate memory-store: disabled — waits on GV-04 (planned)') },
                metadata: {
                  description: DISABLED,
                  govern: {
                    gates: ['memory-store'],
                    enabled: false,
                    reason: DISABLED,
                    summary: 'gate memory-store: disabled — waits on GV-04 (planned)',
                    requires: ['GV-03', 'GV-04'],
                    blockedBy: [{ gate: 'memory-store', id: 'GV-04', status: 'planned', statusText: 'Planned', file: 'trackers/t.md', line: 4 }],
                  },
                },
              },
            },
          },
        ],
      ],
    });
  });

  it('merges two gates on one project: disabled while either is', async () => {
    const root = repo({
      'govern.config.yaml': 'gates:\n  a:\n    requires: [GV-03]\n    project: libs/x\n  b:\n    requires: [GV-04]\n    project: libs/x/\n',
      'trackers/t.md': TRACKER,
      'libs/x/package.json': '{}',
    });
    const { result } = await run(FILES, root);
    expect(result[0]?.[1].projects['libs/x']?.tags).toEqual(['gate:a', 'gate:b', 'gate:disabled']);
    expect(result[0]?.[1].projects['libs/x']?.targets.gate).toEqual(gateTarget(['a', 'b'], 'gate a: enabled — GV-03 done; gate b: disabled — waits on GV-04 (planned)'));
    expect(result[0]?.[1].projects['libs/x']?.metadata.govern).toEqual({
      gates: ['a', 'b'],
      enabled: false,
      reason: 'Disabled by gate b (GV-04 "Memory store" is planned (at trackers/t.md:4:24)). Its tests still run; gating is product enablement.',
      summary: 'gate a: enabled — GV-03 done; gate b: disabled — waits on GV-04 (planned)',
      requires: ['GV-03', 'GV-04'],
      blockedBy: [{ gate: 'b', id: 'GV-04', status: 'planned', statusText: 'Planned', file: 'trackers/t.md', line: 4 }],
    });
  });

  it('adds nothing without govern.config.yaml among the matched files', async () => {
    const root = repo({ 'trackers/t.md': TRACKER, 'libs/memory-store/package.json': '{}' });
    expect(await run(['trackers/t.md'], root)).toEqual({ result: [], warnings: [] });
  });

  it('never breaks the graph: an invalid config is one warning and no tags', async () => {
    const root = repo({ 'govern.config.yaml': 'gates:\n  memory-store:\n    requires: GV-04\n    project: libs/memory-store\n', 'libs/memory-store/package.json': '{}' });
    expect(await run(FILES, root)).toEqual({
      result: [],
      warnings: [
        'govern gates: govern.config.yaml:3:15: gates.memory-store.requires: Invalid input: expected array, received string; no gate tags are added until govern.config.yaml is fixed',
      ],
    });
  });

  it('never breaks the graph: an unexpected failure is one warning and no tags', async () => {
    const root = repo({ 'govern.config.yaml': CONFIG });
    const load = async () => {
      throw new Error('EACCES: permission denied');
    };
    expect(await run(FILES, root, load)).toEqual({ result: [], warnings: ['govern gates: could not evaluate gates (EACCES: permission denied); no gate tags are added'] });
  });
});
