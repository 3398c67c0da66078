/**
 * The user's real documents: libs/workplan/fixtures/seeds holds them unmodified (copied
 * from ../shared/seeds beside the repository, see its README), so every assertion runs
 * on the seeds themselves AND on the named fixture copies in __fixtures__, in any clone.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { at, cellAt, find, fixture, item, lineOf, mentions, parse } from './__fixtures__/test-utils.js';
import type { Item } from './model.js';

// libs/workplan/src/ → ../fixtures/seeds/: the user's documents, unmodified.
const SEEDS_DIR = fileURLToPath(new URL('../fixtures/seeds/', import.meta.url));
const SEEDS_PRESENT = existsSync(SEEDS_DIR);

const FIXTURE_OF: Record<string, string> = {
  '000': 'seed-000-otlp-memory-execution-tracker.md',
  '001': 'seed-001-logfire-memory-execution-tracker.md',
  '002': 'seed-002-implementation-kickoff-plan.md',
  '003': 'seed-003-rendered-workplan-page.txt',
  '004': 'seed-004-foundational-infrastructure-plan.md',
};

function seedFile(n: string): string {
  const name = readdirSync(SEEDS_DIR).find((f) => f.startsWith(`${n}_`));
  if (!name) throw new Error(`no seed ${n} in ${SEEDS_DIR}`);
  return readFileSync(`${SEEDS_DIR}/${name}`, 'utf8');
}

type Source = { label: string; text: (n: string) => string };
const SOURCES: Source[] = [
  { label: 'fixture copies', text: (n) => fixture(FIXTURE_OF[n]!) },
  ...(SEEDS_PRESENT ? [{ label: 'fixtures/seeds', text: seedFile }] : []),
];

describe('seed fixtures', () => {
  test('the fixture copies exist, and equal the seeds in fixtures/seeds byte for byte', () => {
    expect(SEEDS_PRESENT, `${SEEDS_DIR} is missing`).toBe(true);
    for (const [n, name] of Object.entries(FIXTURE_OF)) {
      const copy = fixture(name);
      expect(copy.length, name).toBeGreaterThan(1000);
      if (SEEDS_PRESENT) expect(copy, `${name} differs from seed ${n}`).toBe(seedFile(n));
    }
  });
});

describe.each(SOURCES)('seeds ($label)', ({ text: seed }) => {
  describe('seed 000: the OTLP memory tracker', () => {
    const text = seed('000');
    const file = 'trackers/otlp-memory-execution-tracker.md';
    const { document, diagnostics } = parse(text, file);
    const ids = Array.from({ length: 11 }, (_, k) => `LM-${String(k + 1).padStart(2, '0')}`);
    const tableRow = lineOf(text, '| 11 | LM-11');
    const forwardRow = lineOf(text, '| LM-11 | 0 | 0 | 0 | 0 | 1 | 1 | 0 |');

    test('has the 11 milestones LM-01..LM-11 with their statuses and refs', () => {
      expect(document?.family).toBe('tracker');
      expect(document?.title).toBe('OTLP Memory Execution Tracker');
      expect(document?.items.map((i) => i.id)).toEqual(ids);
      expect(document?.items.map((i) => [i.status, i.statusText, i.refs])).toEqual([
        ...Array.from({ length: 9 }, (_, k) => ['done', `Done (#${27 + k})`, [`#${27 + k}`]]),
        ['planned', 'Planned', []],
        ['planned', 'Planned', []],
      ]);
    });

    test('LM-11 depends on LM-10 (table) and LM-09 and LM-10 (forward matrix)', () => {
      const lm11 = document?.items[10];
      expect(lm11).toEqual(
        item({
          id: 'LM-11',
          kind: 'milestone',
          title: 'Binder v1 deterministic integration',
          ...at(text, tableRow, 'LM-11'),
          status: 'planned',
          statusText: 'Planned',
          statusSource: at(text, tableRow, 'Planned'),
          priority: 'P0',
          order: 11,
          packetId: 'pkt-dome-lm-11-binder-v1-deterministic-integration',
          evidenceRoot: null,
          parent: 'otlp-memory-execution-tracker',
          dependencies: [
            { id: 'LM-10', origin: 'table', ...at(text, tableRow, 'LM-10') },
            { id: 'LM-09', origin: 'matrix', ...cellAt(text, forwardRow, 5) },
            { id: 'LM-10', origin: 'matrix', ...cellAt(text, forwardRow, 6) },
          ],
        }),
      );
    });

    test('exactly one diagnostic: the dependency-drift warning at the LM-09 cell of the LM-11 row of the forward matrix', () => {
      // `| LM-11 | 0 | 0 | 0 | 0 | 1 | ...`: the fifth value cell (column LM-09) is at column 27.
      expect(cellAt(text, forwardRow, 5).column).toBe(27);
      expect(diagnostics).toEqual([
        {
          severity: 'warning',
          code: 'dependency-drift',
          message: mentions('LM-11', 'LM-09') as string,
          file,
          ...cellAt(text, forwardRow, 5),
          related: [{ file, ...at(text, tableRow, 'LM-11'), message: mentions('LM-11') as string }],
        },
      ]);
    });

    test('the partial matrices add nothing beyond the table for LM-05 (its LM-04 edge is outside the forward matrix)', () => {
      expect(document?.items[4]?.dependencies.map((d) => [d.id, d.origin])).toEqual([['LM-04', 'table']]);
      expect(document?.items[3]?.dependencies.map((d) => [d.id, d.origin])).toEqual([
        ['LM-02', 'table'],
        ['LM-03', 'table'],
        ['LM-02', 'matrix'],
        ['LM-03', 'matrix'],
      ]);
    });

    test('three matrices: two dependency matrices and the cross-repo core path', () => {
      expect(document?.matrices.map((m) => [m.kind, m.title, m.rows])).toEqual([
        ['dependency', 'Dependency Matrix', ['LM-01', 'LM-02', 'LM-03', 'LM-04']],
        ['dependency', 'Forward Dependency Matrix (LM-05..LM-11)', ['LM-05', 'LM-06', 'LM-07', 'LM-08', 'LM-09', 'LM-10', 'LM-11']],
        ['cross-repo', 'Cross-Repo Dependency Matrix (core path)', ['CR-01', 'CR-02']],
      ]);
      expect(document?.matrices[2]?.labels).toEqual({ 'CR-01': 'CR-01 dome', 'CR-02': 'CR-02 xtrlv2 SSOT' });
      expect(document?.matrices[2]?.edges.map((e) => [e.from, e.to])).toEqual([['CR-01', 'CR-02']]);
    });

    test('11 packet ids and 9 evidence roots, mapped to their milestones', () => {
      expect(document?.packetIds).toHaveLength(11);
      expect(document?.packetIds[10]).toEqual({
        text: 'pkt-dome-lm-11-binder-v1-deterministic-integration',
        ...find(text, '`pkt-dome-lm-11'),
      });
      expect(document?.evidenceRoots.map((e) => e.text)).toEqual(
        Array.from({ length: 9 }, (_, k) => `ops/runtime/lm-0${k + 1}/`),
      );
      expect(document?.items.map((i) => i.evidenceRoot)).toEqual([
        ...Array.from({ length: 9 }, (_, k) => `ops/runtime/lm-0${k + 1}/`),
        null,
        null,
      ]);
      expect(document?.items.every((i) => i.packetId?.startsWith(`pkt-dome-${i.id.toLowerCase()}-`))).toBe(true);
    });
  });

  describe('seed 001: the older revision of the tracker', () => {
    const text = seed('001');
    const { document, diagnostics } = parse(text, 'trackers/logfire-memory-execution-tracker.md');

    test('has 4 milestones, no diagnostics, and a cross-repo matrix of four repos', () => {
      expect(diagnostics).toEqual([]);
      expect(document?.items.map((i) => [i.id, i.status])).toEqual([
        ['LM-01', 'done'],
        ['LM-02', 'done'],
        ['LM-03', 'done'],
        ['LM-04', 'done'],
      ]);
      expect(document?.matrices.map((m) => m.kind)).toEqual(['dependency', 'cross-repo']);
      const cross = document?.matrices[1];
      expect(cross?.rows).toEqual(['CR-01', 'CR-02', 'CR-03', 'CR-04']);
      expect(cross?.labels).toEqual({
        'CR-01': 'CR-01 dome',
        'CR-02': 'CR-02 xtrlv2 SSOT',
        'CR-03': 'CR-03 watcher',
        'CR-04': 'CR-04 opctrl',
      });
      expect(cross?.edges.map((e) => `${e.from}>${e.to}`)).toEqual([
        'CR-01>CR-02',
        'CR-01>CR-03',
        'CR-01>CR-04',
        'CR-03>CR-02',
        'CR-04>CR-01',
        'CR-04>CR-02',
      ]);
      expect(document?.items.flatMap((i) => i.dependencies.map((d) => d.id)).some((id) => id.startsWith('CR-'))).toBe(false);
    });

    test('LM-01 was renamed between revisions (Logfire → OTLP backend)', () => {
      const newer = parse(seed('000'), 'trackers/otlp-memory-execution-tracker.md');
      expect(document?.items[0]?.title).toBe('OTel + Logfire baseline');
      expect(newer.document?.items[0]?.title).toBe('OTel + OTLP backend baseline');
    });
  });

  describe('seed 002: the kickoff plan', () => {
    const text = seed('002');
    const file = 'docs/implementation-kickoff-plan.md';
    const { document, diagnostics } = parse(text, file);
    const docId = 'implementation-kickoff-plan';
    const ks = ['K0', 'K1', 'K2', 'K3', 'K4'];

    test('is a plan with milestones K0..K4, none of which has a status', () => {
      expect(document?.family).toBe('plan');
      expect(document?.items.map((i) => [i.id, i.localId, i.status])).toEqual(ks.map((k) => [`${docId}:${k}`, k, null]));
      expect(document?.items.map((i) => i.title)).toEqual([
        'Contract Baseline (must pass before feature expansion)',
        'TaskSpec + Wrapper Ingestion Hardening (`dome`)',
        'Binder v1 (Section 9.4 operationalization)',
        'Capsule Maintenance + Prescriptive Gating',
        'python_standard + Pattern Runtime',
      ]);
    });

    test('reports each missing status at its heading, and nothing else', () => {
      expect(diagnostics).toEqual(
        ks.map((k) => ({
          severity: 'warning',
          code: 'status-missing',
          message: mentions(`${docId}:${k}`),
          file,
          ...find(text, k, `### ${k}:`),
          note: expect.any(String),
        })),
      );
    });

    test('reads the exit criteria of each milestone', () => {
      expect(document?.items.map((i) => i.criteria.length)).toEqual([1, 2, 2, 2, 1]);
      expect(document?.items[0]?.criteria).toEqual([
        { text: 'Cross-repo contract tests pass in `dome` CI.', checked: null, ...find(text, 'Cross-repo contract tests pass') },
      ]);
      expect(document?.items[3]?.criteria.map((c) => c.text)).toEqual([
        'Contradiction/staleness degrades prescriptive eligibility deterministically.',
        'Strict mode never mints derived capsules without explicit failure/denial wrappers.',
      ]);
    });
  });

  describe('seed 003: the rendered workplan page', () => {
    test('yields no items (family unknown): a rendered page is not the Markdown file', () => {
      const { document, diagnostics } = parse(seed('003'), 'docs/rendered-workplan.txt');
      expect(document?.family).toBe('unknown');
      expect(document?.items).toEqual([]);
      expect(diagnostics).toEqual([
        {
          severity: 'info',
          code: 'no-governance-content',
          message: expect.any(String),
          note: 'run `govern explain <file>` to see what was skipped and which profile rule would read it',
          file: 'docs/rendered-workplan.txt',
          line: 1,
          column: 1,
        },
      ]);
    });
  });

  describe('seed 004: the phased infrastructure plan', () => {
    const text = seed('004');
    const file = 'docs/implementation-plan.md';
    const { document, diagnostics } = parse(text, file);
    const local = [
      ...Array.from({ length: 11 }, (_, k) => `PHASE-${k}`),
      'PHASE-S-4',
      ...Array.from({ length: 5 }, (_, k) => `PHASE-${k + 11}`),
    ];

    test('is a plan with PHASE-0..PHASE-15 and PHASE-S-4, in document order', () => {
      expect(document?.family).toBe('plan');
      expect(document?.title).toBe('Foundational Infrastructure Plan');
      expect(document?.items.map((i) => i.localId)).toEqual(local);
      expect(document?.items.map((i) => i.id)).toEqual(local.map((l) => `implementation-plan:${l}`));
    });

    test('PHASE-0 has no status (the only diagnostic); every other phase is COMPLETE → done', () => {
      expect(document?.items[0]).toEqual(
        item({
          id: 'implementation-plan:PHASE-0',
          localId: 'PHASE-0',
          kind: 'milestone',
          title: 'Repo + Boundaries (Day 0)',
          ...find(text, 'PHASE 0', '## PHASE 0 —'),
          parent: 'implementation-plan',
        }),
      );
      expect(diagnostics).toEqual([
        {
          severity: 'warning',
          code: 'status-missing',
          message: mentions('implementation-plan:PHASE-0') as string,
          file,
          ...find(text, 'PHASE 0', '## PHASE 0 —'),
          note: expect.any(String) as string,
        },
      ]);
      expect(document?.items.slice(1).map((i) => [i.status, i.statusText])).toEqual(local.slice(1).map(() => ['done', 'COMPLETE']));
    });

    test('the status of a phase points at COMPLETE in its heading', () => {
      const s4: Item | undefined = document?.items[11];
      expect(s4?.title).toBe('Infrastructure Stabilization (Documentation Only)');
      expect(s4?.statusSource).toEqual(find(text, 'COMPLETE', '## PHASE S-4 —'));
    });

    test('every `- [x]` exit criterion is read as checked, and the per-phase counts match the document', () => {
      const checked = text.match(/^- \[x\] /gm)?.length ?? 0;
      expect(checked).toBe(140);
      const all = (document?.items ?? []).flatMap((i) => i.criteria);
      expect(all).toHaveLength(checked);
      expect(all.every((c) => c.checked === true)).toBe(true);
      const count = (l: string) => document?.items.find((i) => i.localId === l)?.criteria.length;
      expect([count('PHASE-1'), count('PHASE-2'), count('PHASE-3'), count('PHASE-S-4'), count('PHASE-15')]).toEqual([4, 8, 6, 6, 4]);
      expect(document?.items[2]?.criteria[0]).toEqual({
        text: '`pip install -e .` succeeds',
        checked: true,
        ...find(text, '`pip install -e .` succeeds'),
      });
    });
  });
});

// ---------------------------------------------------------------------------
// Seed 003 reconstructed as the Markdown file it was rendered from.
// ---------------------------------------------------------------------------
describe('seed 003 reconstructed: PMEM-WP-0011 as Markdown', () => {
  const name = 'PMEM-WP-0011-refinement-hardening-and-operational-readiness.md';
  const text = fixture(name);
  const file = `workplans/${name}`;
  const { document, diagnostics } = parse(text, file);

  const TASKS = [
    {
      t: 'T01',
      title: 'Bring service runner to contract parity',
      priority: 'high',
      hub: '2b3c6eb4-8d3f-4c73-ab53-74e1bed8b93f',
      acceptance: [
        'Every operation in `service_contracts()` has a local runner path or explicit unsupported diagnostic.',
        'Tests cover successful `package.compile`, review-gated `lifecycle.apply`, and audit querying.',
      ],
    },
    {
      t: 'T02',
      title: 'Harden local persistence migration and repair',
      priority: 'high',
      hub: '2c19cfb0-e147-40b8-b964-6c617bddb90e',
      acceptance: [
        'Store metadata can declare schema versions and planned migrations.',
        'Repair diagnostics distinguish corruption, missing references, and migration needs.',
        'Writes are made safer through atomic write behavior where practical.',
      ],
    },
    {
      t: 'T03',
      title: 'Expand evaluation fixtures and gates',
      priority: 'high',
      hub: 'cdce1c6a-4581-4184-87c6-f7bec6c3fcbd',
      acceptance: [
        'Add at least three profile/graph scenario families.',
        'Cover policy-denied activation, profile lifecycle rules, event-path activation, semantic-index hints, and budget pressure.',
        'Add deterministic report fixtures or threshold assertions.',
      ],
    },
    {
      t: 'T04',
      title: 'Add adapter pack compatibility manifests',
      priority: 'medium',
      hub: '602c22bb-d440-4d38-a51f-bf6ed504fd1e',
      acceptance: [
        'Adapter packs can declare capabilities, ownership boundaries, and required conformance helpers.',
        'Fake pack tests use the manifest rather than only direct class assertions.',
        'Missing capability diagnostics are explicit.',
      ],
    },
    {
      t: 'T05',
      title: 'Make policy/audit retention inspectable',
      priority: 'medium',
      hub: 'c4fa6001-b20c-4ec1-b885-af9b80c832de',
      acceptance: [
        'Audit sink query behavior is exposed through runtime/service paths.',
        'Retention metadata is visible and testable.',
        'Review and denial audit records can be traced after operations.',
      ],
    },
    {
      t: 'T06',
      title: 'Improve operational developer experience',
      priority: 'medium',
      hub: 'f4674eaf-cbc1-4eac-b1d1-b07ae51289cf',
      acceptance: [
        'README links to the refined maturity scorecard.',
        'Docs include a local end-to-end recipe from profile/graph import to lifecycle, activation, package compile, audit query, and health.',
        'Public API compatibility expectations are documented.',
      ],
    },
  ];

  test('the fixture says what the rendered seed says (same words, once Markdown syntax is removed)', () => {
    const rendered = new Set(
      fixture(FIXTURE_OF['003']!)
        .split('\n')
        .map((l) => l.replace(/^\s*•\s*/, '').trim()),
    );
    const body = text.split('\n---\n')[1]!;
    for (const l of body.split('\n')) {
      const plain = l.replace(/^#+ |^- /, '').replaceAll('`', '').trim();
      if (plain) expect(rendered.has(plain), plain).toBe(true);
    }
  });

  test('is a workplan with no diagnostics, and its front matter is read in full', () => {
    expect(diagnostics).toEqual([]);
    expect({ ...document, items: undefined }).toEqual({
      file,
      id: 'PMEM-WP-0011',
      idSource: 'front-matter',
      family: 'workplan',
      title: 'Refinement Hardening And Operational Readiness',
      status: 'done',
      statusText: 'finished',
      frontMatter: {
        id: 'PMEM-WP-0011',
        type: 'workplan',
        title: 'Refinement Hardening And Operational Readiness',
        domain: 'markitect',
        repo: 'phase-memory',
        status: 'finished',
        owner: 'codex',
        topic_slug: 'phase-memory',
        created: '2026-05-18',
        updated: '2026-05-18',
        state_hub_workstream_id: 'a427c05f-0ff5-49d1-b719-7dfd4f1f8571',
      },
      items: undefined,
      matrices: [],
      evidenceRoots: [],
      packetIds: [],
      claims: [],
      lineEnding: 'lf',
      bom: false,
    });
  });

  test('the workplan node: status done from `finished`, the StateHub id, and the `## Acceptance Criteria` list', () => {
    expect(document?.items[0]).toEqual(
      item({
        id: 'PMEM-WP-0011',
        kind: 'workplan',
        title: 'Refinement Hardening And Operational Readiness',
        // The workplan node points at its id in the front matter.
        ...find(text, 'PMEM-WP-0011', 'id: PMEM-WP-0011'),
        status: 'done',
        statusText: 'finished',
        statusSource: find(text, 'finished', 'status: finished'),
        stateHubId: 'a427c05f-0ff5-49d1-b719-7dfd4f1f8571',
        criteria: [
          'Refined maturity blockers have concrete executable coverage.',
          'The scorecard can move from 3.8 toward 4.0 based on behavior, not optimism.',
          'StateHub has this refinement workplan as the next actionable PMEM workstream.',
        ].map((c) => ({ text: c, checked: null, ...find(text, c) })),
      }),
    );
  });

  test('six tasks T01..T06 with ids, statuses, priorities, StateHub task ids and acceptance criteria', () => {
    const expected = TASKS.map((t) => {
      const h = lineOf(text, `## ${t.t} - `);
      return item({
        id: `PMEM-WP-0011-${t.t}`,
        localId: t.t,
        kind: 'task',
        title: t.title,
        ...at(text, h, t.t),
        status: 'done',
        statusText: 'done',
        statusSource: at(text, lineOf(text, 'status: done', h), 'done'),
        priority: t.priority,
        stateHubId: t.hub,
        parent: 'PMEM-WP-0011',
        criteria: t.acceptance.map((c) => ({ text: c, checked: null, ...find(text, c) })),
      });
    });
    expect(document?.items.slice(1)).toEqual(expected);
    expect(document?.items.slice(1).map((i) => i.criteria.length)).toEqual([2, 3, 3, 3, 3, 3]);
  });

  test('the Closure Review, Non-Goals and Current Evidence lists are not criteria', () => {
    const all = (document?.items ?? []).flatMap((i) => i.criteria.map((c) => c.text));
    expect(all).toHaveLength(2 + 5 * 3 + 3);
    expect(all.some((c) => c.includes('LocalServiceRunner') || c.includes('pytest') || c.includes('fake external'))).toBe(false);
  });
});
