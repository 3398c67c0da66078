import fs from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DEFAULT_PROFILE, compileProfile, parseDocument, type WorkDocument } from '@govern/workplan';
import { DiffResultSchema, diffDocuments, diffWorkspaces, packetSlugWords, packetWordsMissing, type DiffChange } from './index.js';

const profile = compileProfile(DEFAULT_PROFILE);

function doc(file: string, text: string): WorkDocument {
  const r = parseDocument({ file, text }, profile);
  if (!r.document) throw new Error(`${file} did not parse: ${JSON.stringify(r.diagnostics)}`);
  return r.document;
}

/** The user's two revisions of one tracker: 001 is the earlier, 000 the later. */
const SEED_001 = 'seed-001-logfire-memory-execution-tracker.md';
const SEED_000 = 'seed-000-otlp-memory-execution-tracker.md';
const seed = (name: string) => doc(`trackers/${name}`, fs.readFileSync(new URL(`./__fixtures__/${name}`, import.meta.url), 'utf8'));

const summary = (changes: DiffChange[]) => changes.map((c) => `${c.kind} ${c.id} :${c.line}`);

describe('diffDocuments: the seeds, 001 → 000', () => {
  const changes = diffDocuments(seed(SEED_001), seed(SEED_000));
  const file = `trackers/${SEED_000}`;

  it('explains the drift: LM-05..LM-11 added, LM-01 renamed, its packet id left behind, a forward matrix added, the cross-repo matrix cut', () => {
    expect(summary(changes)).toEqual([
      'item-added LM-05 :13',
      'item-added LM-06 :14',
      'item-added LM-07 :15',
      'item-added LM-08 :16',
      'item-added LM-09 :17',
      'item-added LM-10 :18',
      'item-added LM-11 :19',
      'item-renamed LM-01 :9',
      'packet-mismatch LM-01 :48',
      'matrix-added Forward Dependency Matrix (LM-05..LM-11) :36',
      'matrix-changed Cross-Repo Dependency Matrix (core path) :91',
    ]);
    // The JSON contract holds.
    expect(DiffResultSchema.parse({ changes, diagnostics: [] }).changes).toEqual(changes);
  });

  it('an added item carries its title, status as normalized and as written, and every dependency (table and matrix)', () => {
    expect(changes.find((c) => c.id === 'LM-11')).toEqual({
      kind: 'item-added',
      id: 'LM-11',
      file,
      line: 19,
      message: 'LM-11 added: "Binder v1 deterministic integration" (Planned)',
      before: null,
      after: { title: 'Binder v1 deterministic integration', status: 'planned', statusText: 'Planned', dependsOn: ['LM-09', 'LM-10'] },
    });
  });

  it('LM-01: renamed Logfire → OTLP backend, and the packet id that still says logfire is flagged', () => {
    expect(changes.filter((c) => c.id === 'LM-01')).toEqual([
      {
        kind: 'item-renamed',
        by: 'title',
        id: 'LM-01',
        file,
        line: 9,
        message: 'LM-01 renamed: "OTel + Logfire baseline" → "OTel + OTLP backend baseline"',
        before: { id: 'LM-01', title: 'OTel + Logfire baseline' },
        after: { id: 'LM-01', title: 'OTel + OTLP backend baseline' },
      },
      {
        kind: 'packet-mismatch',
        id: 'LM-01',
        file,
        line: 48,
        message:
          'LM-01: packet id pkt-dome-lm-01-otel-logfire-baseline still says "logfire", which the title no longer has ("OTel + Logfire baseline" → "OTel + OTLP backend baseline")',
        before: { packetId: 'pkt-dome-lm-01-otel-logfire-baseline', title: 'OTel + Logfire baseline' },
        after: { packetId: 'pkt-dome-lm-01-otel-logfire-baseline', title: 'OTel + OTLP backend baseline' },
        missing: ['logfire'],
      },
    ]);
  });

  it('the forward matrix appears; the cross-repo matrix is retitled and loses CR-03 and CR-04', () => {
    const lm = (n: number) => `LM-${String(n).padStart(2, '0')}`;
    const forward = [5, 6, 7, 8, 9, 10, 11].map(lm);
    expect(changes.filter((c) => c.kind.startsWith('matrix'))).toEqual([
      {
        kind: 'matrix-added',
        id: 'Forward Dependency Matrix (LM-05..LM-11)',
        file,
        line: 36,
        message: 'matrix "Forward Dependency Matrix (LM-05..LM-11)" added: 7 rows × 7 columns, 7 edges',
        before: null,
        after: {
          title: 'Forward Dependency Matrix (LM-05..LM-11)',
          kind: 'dependency',
          rows: forward,
          columns: forward,
          edges: [
            [6, 5],
            [7, 5],
            [8, 5],
            [9, 8],
            [10, 9],
            [11, 9],
            [11, 10],
          ].map(([from, to]) => ({ from: lm(from!), to: lm(to!) })),
        },
      },
      {
        kind: 'matrix-changed',
        id: 'Cross-Repo Dependency Matrix (core path)',
        file,
        line: 91,
        message:
          'matrix "Cross-Repo Dependency Matrix (core path)": retitled "Cross-Repo Dependency Matrix" → "Cross-Repo Dependency Matrix (core path)"; rows -CR-03, -CR-04; columns -CR-03, -CR-04; edges -CR-01 → CR-03, -CR-01 → CR-04, -CR-03 → CR-02, -CR-04 → CR-01, -CR-04 → CR-02',
        before: {
          title: 'Cross-Repo Dependency Matrix',
          kind: 'cross-repo',
          rows: ['CR-01', 'CR-02', 'CR-03', 'CR-04'],
          columns: ['CR-01', 'CR-02', 'CR-03', 'CR-04'],
          edges: [
            { from: 'CR-01', to: 'CR-02' },
            { from: 'CR-01', to: 'CR-03' },
            { from: 'CR-01', to: 'CR-04' },
            { from: 'CR-03', to: 'CR-02' },
            { from: 'CR-04', to: 'CR-01' },
            { from: 'CR-04', to: 'CR-02' },
          ],
        },
        after: { title: 'Cross-Repo Dependency Matrix (core path)', kind: 'cross-repo', rows: ['CR-01', 'CR-02'], columns: ['CR-01', 'CR-02'], edges: [{ from: 'CR-01', to: 'CR-02' }] },
      },
    ]);
  });

  it('backwards (000 → 001) the same drift reads as removals, and the old title matches its packet id', () => {
    const back = diffDocuments(seed(SEED_000), seed(SEED_001));
    expect(summary(back)).toEqual([
      'item-removed LM-05 :13',
      'item-removed LM-06 :14',
      'item-removed LM-07 :15',
      'item-removed LM-08 :16',
      'item-removed LM-09 :17',
      'item-removed LM-10 :18',
      'item-removed LM-11 :19',
      'matrix-removed Forward Dependency Matrix (LM-05..LM-11) :36',
      'item-renamed LM-01 :9',
      'matrix-changed Cross-Repo Dependency Matrix :54',
    ]);
    // What was removed is located in the older file, the rest in the newer.
    expect(back.map((c) => c.file)).toEqual([...Array(8).fill(`trackers/${SEED_000}`), `trackers/${SEED_001}`, `trackers/${SEED_001}`]);
  });

  it('a document compared with itself has no changes', () => {
    expect(diffDocuments(seed(SEED_000), seed(SEED_000))).toEqual([]);
  });
});

const tracker = (rows: string[], extra: string[] = []) =>
  ['# T', '', '| Milestone | Depends On | Status |', '|---|---|---|', ...rows, '', ...extra, ''].join('\n');

describe('diffDocuments: status, dependencies, cells, ids', () => {
  it('a status change keeps both the normalized status and the text as written', () => {
    const a = doc('t.md', tracker(['| AB-01 One | - | Planned |', '| AB-02 Two | AB-01 | Planned |']));
    const b = doc('t.md', tracker(['| AB-01 One | - | Done (#4) |', '| AB-02 Two | AB-01 | WIP |']));
    expect(diffDocuments(a, b)).toEqual([
      {
        kind: 'status-changed',
        id: 'AB-01',
        file: 't.md',
        line: 5,
        message: 'AB-01 status: planned ("Planned") → done ("Done (#4)")',
        before: { status: 'planned', text: 'Planned' },
        after: { status: 'done', text: 'Done (#4)' },
      },
      {
        kind: 'status-changed',
        id: 'AB-02',
        file: 't.md',
        line: 6,
        message: 'AB-02 status: planned ("Planned") → in_progress ("WIP")',
        before: { status: 'planned', text: 'Planned' },
        after: { status: 'in_progress', text: 'WIP' },
      },
    ]);
  });

  it('dependency edges added and removed, per item', () => {
    const a = doc('t.md', tracker(['| AB-01 One | - | Done |', '| AB-02 Two | - | Done |', '| AB-03 Three | AB-01 | Planned |']));
    const b = doc('t.md', tracker(['| AB-01 One | - | Done |', '| AB-02 Two | - | Done |', '| AB-03 Three | AB-02 | Planned |']));
    expect(diffDocuments(a, b)).toEqual([
      {
        kind: 'dependencies-changed',
        id: 'AB-03',
        file: 't.md',
        line: 7,
        message: 'AB-03 dependencies: +AB-02, -AB-01',
        before: ['AB-01'],
        after: ['AB-02'],
        added: ['AB-02'],
        removed: ['AB-01'],
      },
    ]);
  });

  it('a matrix cell that flips is a cell change (and, through the matrix, a dependency change)', () => {
    const matrix = (v: string) => ['## Dependency Matrix', '', '| Row \\\\ Col | AB-01 | AB-02 |', '|---|---:|---:|', '| AB-01 | 0 | 0 |', `| AB-02 | ${v} | 0 |`];
    const rows = ['| AB-01 One | - | Done |', '| AB-02 Two | - | Planned |'];
    const a = doc('t.md', tracker(rows, matrix('0')));
    const b = doc('t.md', tracker(rows, matrix('1')));
    expect(diffDocuments(a, b)).toEqual([
      { kind: 'dependencies-changed', id: 'AB-02', file: 't.md', line: 13, message: 'AB-02 dependencies: +AB-01', before: [], after: ['AB-01'], added: ['AB-01'], removed: [] },
      { kind: 'matrix-cell-changed', id: 'Dependency Matrix', file: 't.md', line: 13, message: 'matrix "Dependency Matrix": AB-02 → AB-01 0 → 1', from: 'AB-02', to: 'AB-01', before: 0, after: 1 },
    ]);
  });

  it('the same title under a new id is a rename; dependents follow it; a packet id naming the old id is flagged', () => {
    const packets = (...ids: string[]) => ['## Packet IDs', '', ...ids.map((p, i) => `${i + 1}. \`${p}\``)];
    const a = doc('t.md', tracker(['| AB-01 Store schema | - | Done |', '| AB-02 Query API | AB-01 | Planned |'], packets('pkt-x-ab-01-store-schema', 'pkt-x-ab-02-query-api')));
    const b = doc('t.md', tracker(['| AB-07 Store schema | - | Done |', '| AB-02 Query API | AB-07 | Planned |'], packets('pkt-x-ab-01-store-schema', 'pkt-x-ab-02-query-api')));
    expect(diffDocuments(a, b)).toEqual([
      { kind: 'item-renamed', by: 'id', id: 'AB-07', file: 't.md', line: 5, message: 'AB-01 is now AB-07 ("Store schema")', before: { id: 'AB-01', title: 'Store schema' }, after: { id: 'AB-07', title: 'Store schema' } },
      { kind: 'packet-changed', id: 'AB-07', file: 't.md', line: 5, message: 'AB-07 packet id: pkt-x-ab-01-store-schema → none', before: 'pkt-x-ab-01-store-schema', after: null },
      {
        kind: 'packet-mismatch',
        id: 'AB-07',
        file: 't.md',
        line: 10,
        message: "AB-07: packet id pkt-x-ab-01-store-schema still names AB-01, the item's old id",
        before: { packetId: 'pkt-x-ab-01-store-schema', title: 'Store schema' },
        after: { packetId: 'pkt-x-ab-01-store-schema', title: 'Store schema' },
        missing: ['AB-01'],
      },
    ]);
  });

  it('a new item whose packet id is mostly unrelated to its title is flagged; a partial overlap is not', () => {
    const a = doc('t.md', tracker(['| AB-01 One | - | Done |']));
    const b = doc(
      't.md',
      tracker(['| AB-01 One | - | Done |', '| AB-02 Query primitive hardening | - | Planned |', '| AB-03 Tracker truthfulness + OTLP naming | - | Planned |'], [
        '## Packet IDs',
        '',
        '- `pkt-x-ab-02-logfire-export-pipeline`',
        '- `pkt-x-ab-03-tracker-otlp-reconciliation`',
      ]),
    );
    expect(diffDocuments(a, b).filter((c) => c.kind === 'packet-mismatch')).toEqual([
      {
        kind: 'packet-mismatch',
        id: 'AB-02',
        file: 't.md',
        line: 11,
        message: 'AB-02: packet id pkt-x-ab-02-logfire-export-pipeline does not match the title "Query primitive hardening" ("logfire", "export", "pipeline" not in it)',
        before: null,
        after: { packetId: 'pkt-x-ab-02-logfire-export-pipeline', title: 'Query primitive hardening' },
        missing: ['logfire', 'export', 'pipeline'],
      },
    ]);
  });
});

describe('packet slug words', () => {
  it('are the words after the item id; inflections match', () => {
    expect(packetSlugWords('pkt-dome-lm-01-otel-logfire-baseline', { id: 'LM-01', localId: 'LM-01' })).toEqual(['otel', 'logfire', 'baseline']);
    expect(packetSlugWords('pkt-dome-other', { id: 'LM-01', localId: 'LM-01' })).toBeNull();
    expect(packetWordsMissing(['query', 'primitives', 'hardening'], 'Query primitive hardening')).toEqual([]);
    expect(packetWordsMissing(['otel', 'logfire', 'baseline'], 'OTel + OTLP backend baseline')).toEqual(['logfire']);
  });
});

describe('diffWorkspaces', () => {
  it('pairs documents by path, then by document id (a moved file), and reports documents added and removed', () => {
    const one = tracker(['| AB-01 One | - | Done |']);
    const before = [doc('trackers/a.md', one), doc('trackers/old/b.md', tracker(['| BB-01 B | - | Done |'])), doc('trackers/gone.md', tracker(['| GG-01 G | - | Done |']))];
    const after = [doc('trackers/a.md', one), doc('trackers/new/b.md', tracker(['| BB-01 B | - | Planned |'])), doc('trackers/fresh.md', tracker(['| FF-01 F | - | Planned |']))];
    const r = diffWorkspaces(before, after);
    expect(r.diagnostics).toEqual([]);
    expect(summary(r.changes)).toEqual([
      'document-added fresh :1',
      'item-added FF-01 :5',
      'document-removed gone :1',
      'item-removed GG-01 :5',
      'status-changed BB-01 :5',
    ]);
    expect(r.changes.map((c) => c.file)).toEqual(['trackers/fresh.md', 'trackers/fresh.md', 'trackers/gone.md', 'trackers/gone.md', 'trackers/new/b.md']);
  });

  it('an id defined twice is compared once, with a warning', () => {
    const a = doc('t.md', tracker(['| AB-01 One | - | Done |']));
    const b = doc('t.md', tracker(['| AB-01 One | - | Done |', '| AB-01 Again | - | Planned |']));
    expect(diffWorkspaces([a], [b])).toEqual({
      changes: [],
      diagnostics: [
        { severity: 'warning', code: 'diff-duplicate-id', message: 'AB-01 is defined twice in t.md; the diff compares the first definition (line 5)', file: 't.md', line: 6, column: 3 },
      ],
    });
  });
});
