import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, REPO, ensureFreshBundle, runCaptured, tempRoot } from './support.js';

beforeAll(ensureFreshBundle, 120_000);

interface Run {
  code: number;
  out: string;
  err: string;
}

function bin(argv: string[], cwd: string): Run {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of ['FORCE_COLOR', 'NO_COLOR', 'GOVERN_NO_CACHE', 'GOVERN_CACHE_DIR', 'GOVERN_PARSER', 'GOVERN_TIMING']) delete env[k];
  const r = spawnSync(process.execPath, [BIN, ...argv], { cwd, env, encoding: 'utf8' });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, out: r.stdout, err: r.stderr };
}

/** Exactly one JSON value on one line, followed by a newline. */
function oneJson(out: string): unknown {
  expect(out.endsWith('\n')).toBe(true);
  expect(out.slice(0, -1)).not.toContain('\n');
  return JSON.parse(out);
}

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', '-c', 'commit.gpgsign=false', '-c', 'init.defaultBranch=main', ...args], { cwd, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

/** The user's seeds: 001 is an earlier revision of 000. */
const fixture = (name: string) => fs.readFileSync(path.join(REPO, 'libs/graph/src/__fixtures__', name), 'utf8');
const SEED_001 = fixture('seed-001-logfire-memory-execution-tracker.md');
const SEED_000 = fixture('seed-000-otlp-memory-execution-tracker.md');

const FILE = 'trackers/memory.md';
const added = (id: string, line: number, title: string, statusText: string, dependsOn: string[]) => ({
  kind: 'item-added',
  id,
  file: FILE,
  line,
  message: `${id} added: "${title}" (${statusText})`,
  before: null,
  after: { title, status: statusText === 'Planned' ? 'planned' : 'done', statusText, dependsOn },
});
const lm = (n: number) => `LM-${String(n).padStart(2, '0')}`;
const FORWARD = [5, 6, 7, 8, 9, 10, 11].map(lm);
const CROSS = ['CR-01', 'CR-02', 'CR-03', 'CR-04'];

/** `govern diff --json` of seed 001 → seed 000 as one tracker's two commits. */
const SEEDS_DIFF = {
  changes: [
    added('LM-05', 13, 'Reason semantics + facts spine', 'Done (#31)', ['LM-04']),
    added('LM-06', 14, 'Deterministic timestamps + replay stability', 'Done (#32)', ['LM-05']),
    added('LM-07', 15, 'Cross-repo contract tests', 'Done (#33)', ['LM-05']),
    added('LM-08', 16, 'Query primitive hardening', 'Done (#34)', ['LM-05']),
    added('LM-09', 17, 'Tracker truthfulness + OTLP backend naming', 'Done (#35)', ['LM-08']),
    added('LM-10', 18, 'Semantics migration completion', 'Planned', ['LM-09']),
    added('LM-11', 19, 'Binder v1 deterministic integration', 'Planned', ['LM-09', 'LM-10']),
    {
      kind: 'item-renamed',
      id: 'LM-01',
      file: FILE,
      line: 9,
      message: 'LM-01 renamed: "OTel + Logfire baseline" → "OTel + OTLP backend baseline"',
      by: 'title',
      before: { id: 'LM-01', title: 'OTel + Logfire baseline' },
      after: { id: 'LM-01', title: 'OTel + OTLP backend baseline' },
    },
    {
      kind: 'packet-mismatch',
      id: 'LM-01',
      file: FILE,
      line: 48,
      message: 'LM-01: packet id pkt-dome-lm-01-otel-logfire-baseline still says "logfire", which the title no longer has ("OTel + Logfire baseline" → "OTel + OTLP backend baseline")',
      before: { packetId: 'pkt-dome-lm-01-otel-logfire-baseline', title: 'OTel + Logfire baseline' },
      after: { packetId: 'pkt-dome-lm-01-otel-logfire-baseline', title: 'OTel + OTLP backend baseline' },
      missing: ['logfire'],
    },
    {
      kind: 'matrix-added',
      id: 'Forward Dependency Matrix (LM-05..LM-11)',
      file: FILE,
      line: 36,
      message: 'matrix "Forward Dependency Matrix (LM-05..LM-11)" added: 7 rows × 7 columns, 7 edges',
      before: null,
      after: {
        title: 'Forward Dependency Matrix (LM-05..LM-11)',
        kind: 'dependency',
        rows: FORWARD,
        columns: FORWARD,
        edges: [[6, 5], [7, 5], [8, 5], [9, 8], [10, 9], [11, 9], [11, 10]].map(([from, to]) => ({ from: lm(from!), to: lm(to!) })),
      },
    },
    {
      kind: 'matrix-changed',
      id: 'Cross-Repo Dependency Matrix (core path)',
      file: FILE,
      line: 91,
      message:
        'matrix "Cross-Repo Dependency Matrix (core path)": retitled "Cross-Repo Dependency Matrix" → "Cross-Repo Dependency Matrix (core path)"; rows -CR-03, -CR-04; columns -CR-03, -CR-04; edges -CR-01 → CR-03, -CR-01 → CR-04, -CR-03 → CR-02, -CR-04 → CR-01, -CR-04 → CR-02',
      before: {
        title: 'Cross-Repo Dependency Matrix',
        kind: 'cross-repo',
        rows: CROSS,
        columns: CROSS,
        edges: [['CR-01', 'CR-02'], ['CR-01', 'CR-03'], ['CR-01', 'CR-04'], ['CR-03', 'CR-02'], ['CR-04', 'CR-01'], ['CR-04', 'CR-02']].map(([from, to]) => ({ from, to })),
      },
      after: { title: 'Cross-Repo Dependency Matrix (core path)', kind: 'cross-repo', rows: ['CR-01', 'CR-02'], columns: ['CR-01', 'CR-02'], edges: [{ from: 'CR-01', to: 'CR-02' }] },
    },
  ],
  diagnostics: [],
};

/** A repository whose tracker was committed as seed 001, then as seed 000. */
function seedRepo(): string {
  const root = tempRoot({ [FILE]: SEED_001 }, 'govern-diff-');
  git(root, 'init', '-q');
  git(root, 'add', '-A');
  git(root, 'commit', '-q', '-m', 'seed 001');
  fs.writeFileSync(path.join(root, FILE), SEED_000);
  git(root, 'commit', '-q', '-am', 'seed 000');
  return root;
}

describe('govern diff: two revisions of a repository', () => {
  it('seed 001 → seed 000 as two commits: LM-05..LM-11 added, LM-01 renamed, its stale packet id, the forward matrix', () => {
    const root = seedRepo();
    const r = bin(['diff', 'HEAD~1', 'HEAD', '--json'], root);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(oneJson(r.out)).toEqual(SEEDS_DIFF);
    // One revision: compared with the working tree, which is HEAD here.
    const wt = bin(['diff', 'HEAD~1', '--json'], root);
    expect({ code: wt.code, err: wt.err, json: oneJson(wt.out) }).toEqual({ code: 0, err: '', json: SEEDS_DIFF });
  });

  it('prints a readable list grouped by file and kind; an unknown revision is a usage error without a stack', async () => {
    const root = seedRepo();
    fs.writeFileSync(path.join(root, FILE), SEED_000.replace('| 10 | LM-10 Semantics migration completion | Complete failure/policy reason semantic naming migration and compatibility boundaries | P0 | LM-09 | Planned |', '| 10 | LM-10 Semantics migration completion | Complete failure/policy reason semantic naming migration and compatibility boundaries | P0 | LM-09 | In Progress |'));
    const r = await runCaptured(['diff', 'HEAD'], { cwd: root });
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      [
        'HEAD → working tree: 1 document compared',
        '',
        'trackers/memory.md',
        '  status (1)',
        '    :18  LM-10 status: planned ("Planned") → in_progress ("In Progress")',
        '',
        '1 change: status 1',
        '',
      ].join('\n'),
    );
    const unknown = bin(['diff', 'no-such-rev', '--json'], root);
    const message = `unknown revision "no-such-rev": not a commit of the repository at ${fs.realpathSync(root)}, and not a file`;
    // With --json a usage error is also a JSON error object on stdout (docs/cli-contract.md).
    expect(unknown).toEqual({ code: 2, out: `${JSON.stringify({ error: { code: 'usage', message, details: {} } })}\n`, err: `govern: ${message}\n` });
    const mixed = await runCaptured(['diff', 'HEAD', FILE], { cwd: root });
    expect(mixed).toEqual({ code: 2, stdout: '', stderr: `govern: cannot compare one document (${FILE}) with a whole revision (HEAD): give two files, or two revisions\n` });
  });
});

describe('govern diff: two files', () => {
  const OLD = [
    '# T',
    '',
    '| Milestone | Depends On | Status |',
    '|---|---|---|',
    '| AB-01 Store schema | - | Done |',
    '| AB-02 Query API | AB-01 | Planned |',
    '| AB-03 Old idea | - | Planned |',
    '',
  ].join('\n');
  const NEW = [
    '# T',
    '',
    '| Milestone | Depends On | Status |',
    '|---|---|---|',
    '| AB-01 Store schema | - | Done |',
    '| AB-02 Query API | - | In Progress |',
    '',
  ].join('\n');

  it('old.md new.md: removed item, status and dependency changes, as { changes, diagnostics }', () => {
    const dir = tempRoot({ 'old.md': OLD, 'new.md': NEW }, 'govern-diff-files-');
    const r = bin(['diff', 'old.md', 'new.md', '--json'], dir);
    expect({ code: r.code, err: r.err }).toEqual({ code: 0, err: '' });
    expect(oneJson(r.out)).toEqual({
      changes: [
        {
          kind: 'status-changed',
          id: 'AB-02',
          file: 'new.md',
          line: 6,
          message: 'AB-02 status: planned ("Planned") → in_progress ("In Progress")',
          before: { status: 'planned', text: 'Planned' },
          after: { status: 'in_progress', text: 'In Progress' },
        },
        { kind: 'dependencies-changed', id: 'AB-02', file: 'new.md', line: 6, message: 'AB-02 dependencies: -AB-01', before: ['AB-01'], after: [], added: [], removed: ['AB-01'] },
        {
          kind: 'item-removed',
          id: 'AB-03',
          file: 'old.md',
          line: 7,
          message: 'AB-03 removed: "Old idea" (Planned)',
          before: { title: 'Old idea', status: 'planned', statusText: 'Planned', dependsOn: [] },
          after: null,
        },
      ],
      diagnostics: [],
    });
  });

  it('exit 1 when a side has an error diagnostic; the diagnostic names its side', async () => {
    const broken = `${NEW}| Not an id | - | Planned |\n`;
    const dir = tempRoot({ 'old.md': OLD, 'new.md': broken }, 'govern-diff-files-');
    const r = await runCaptured(['diff', 'old.md', 'new.md', '--json'], { cwd: dir });
    expect(r.code).toBe(1);
    const json = oneJson(r.stdout) as { changes: unknown[]; diagnostics: unknown[] };
    expect(json.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'id-missing',
        message: 'milestone "Not an id" does not start with an id',
        file: 'new.md',
        line: 7,
        column: 3,
        expected: 'a Milestone cell that starts with an id, e.g. "LM-01 OTel baseline"',
        actual: 'Not an id',
        note: 'in new.md',
      },
    ]);
    expect(json.changes).toHaveLength(3);
  });
});
