import type { ServiceOperation } from './context.js';
import { SERVICE_OPERATIONS } from './operations.js';

/** One evaluation family as the fixtures hold it (only what the scorecard reads). */
export interface FamilyEvidence {
  family: string;
  steps: Array<{ operation: string; expect?: unknown }>;
}

/** A test file: its path (relative to the repository), its text, and the surfaces through which it runs the shared sequence. */
export interface TestEvidence {
  file: string;
  text: string;
}

/** What the scorecard is computed from. */
export interface ScorecardEvidence {
  families: readonly FamilyEvidence[];
  /** The operations of the sequence the HTTP and MCP tests run (testing.ts `SEQUENCE`). */
  sequence: readonly string[];
  /** The test files of the runner, `govern serve` and the MCP tools. */
  tests: readonly TestEvidence[];
}

export interface ScorecardRow {
  operation: string;
  support: 'local' | 'unsupported';
  effect: string;
  review: string;
  gate: string | null;
  fixture_steps: number;
  /** Fixture steps whose expected result is an output (the operation did its job), not a refusal. */
  fixture_answers: number;
  families: string[];
  /** The surfaces a test exercised it through: library (fixtures), http, mcp. */
  surfaces: string[];
  /** 0 unsupported; 1 a runner path; 2 and a fixture step where it answered with a checked-in output; 3 and exercised over HTTP and MCP. */
  level: 0 | 1 | 2 | 3;
}

export interface Scorecard {
  operations: number;
  implemented: number;
  unsupported: number;
  with_fixtures: number;
  families: number;
  fixture_steps: number;
  test_files: number;
  test_cases: number;
  /** Mean level over the operations that have a runner path, out of 3. */
  score: number;
  rows: ScorecardRow[];
}

const isAnswer = (expect: unknown): boolean => typeof expect === 'object' && expect !== null && 'output' in expect;

/** The test that runs the shared sequence over a surface: it names SEQUENCE and the surface's entry point. */
const SURFACE_MARKERS: ReadonlyArray<[string, RegExp]> = [
  ['http', /startServiceServer\(/],
  ['mcp', /createGovernMcpServer\(/],
];

/**
 * The maturity scorecard of the service runner, computed from evidence rather
 * than typed: the operation table (runner path or unsupported), the evaluation
 * fixtures (which operations their steps run), the sequence the HTTP and MCP
 * tests run (and whether a test runs it through each surface), and the test
 * files (how many cases). docs/service-runner.md holds its rendering; a test
 * fails when the two drift.
 */
export function computeScorecard(e: ScorecardEvidence): Scorecard {
  const runsSequence = e.tests.filter((t) => /\bSEQUENCE\b/.test(t.text));
  const surfaces = SURFACE_MARKERS.filter(([, re]) => runsSequence.some((t) => re.test(t.text))).map(([s]) => s);
  const rows = (SERVICE_OPERATIONS as readonly ServiceOperation[]).map((o): ScorecardRow => {
    const mine = e.families.flatMap((f) => f.steps.filter((s) => s.operation === o.name).map((s) => ({ family: f.family, answered: isAnswer(s.expect) })));
    const answers = mine.filter((m) => m.answered).length;
    const via = [...(mine.length ? ['library'] : []), ...(e.sequence.includes(o.name) ? surfaces : [])];
    const level: ScorecardRow['level'] = o.support.kind === 'unsupported' ? 0 : !answers ? 1 : via.includes('http') && via.includes('mcp') ? 3 : 2;
    return {
      operation: o.name,
      support: o.support.kind,
      effect: o.effect,
      review: o.review,
      gate: o.gate,
      fixture_steps: mine.length,
      fixture_answers: answers,
      families: [...new Set(mine.map((m) => m.family))].sort(),
      surfaces: via,
      level,
    };
  });
  const implemented = rows.filter((r) => r.support === 'local');
  return {
    operations: rows.length,
    implemented: implemented.length,
    unsupported: rows.length - implemented.length,
    with_fixtures: rows.filter((r) => r.fixture_answers > 0).length,
    families: e.families.length,
    fixture_steps: e.families.reduce((n, f) => n + f.steps.length, 0),
    test_files: e.tests.length,
    test_cases: e.tests.reduce((n, t) => n + (t.text.match(/^\s*test\(/gm) ?? []).length, 0),
    score: implemented.length ? Math.round((implemented.reduce((n, r) => n + r.level, 0) / implemented.length) * 100) / 100 : 0,
    rows,
  };
}

/** The scorecard as the Markdown docs/service-runner.md embeds. */
export function renderScorecard(s: Scorecard): string {
  const lines = [
    `- Operations: ${s.operations} — ${s.implemented} with a local runner path, ${s.unsupported} unsupported (an explicit diagnostic).`,
    `- Evaluation fixtures: ${s.families} families, ${s.fixture_steps} steps; ${s.with_fixtures} operations answer in at least one of them (the others are only refused there).`,
    `- Tests: ${s.test_cases} cases in ${s.test_files} files (the runner, \`govern serve\`, the MCP tools).`,
    `- Score: **${s.score.toFixed(2)} / 3** (the mean level of the implemented operations).`,
    '',
    '| operation | runner path | effect | review | gate | fixture steps (answered) | families | exercised via | level |',
    '|---|---|---|---|---|---|---|---|---|',
    ...s.rows.map(
      (r) =>
        `| \`${r.operation}\` | ${r.support} | ${r.effect} | ${r.review} | ${r.gate ?? '-'} | ${r.fixture_steps} (${r.fixture_answers}) | ${r.families.join(', ') || '-'} | ${r.surfaces.join(', ') || '-'} | ${r.level} |`,
    ),
    '',
    'Levels: 0 unsupported; 1 a local runner path; 2 and a fixture step where it answers (a checked-in output, through the library); 3 and exercised over HTTP and MCP, answering what the library answers.',
  ];
  return `${lines.join('\n')}\n`;
}
