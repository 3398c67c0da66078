/**
 * Test support shared by this library's tests and the CLI's (`govern serve`, the
 * MCP service tools): the evaluation fixtures' repository copied into a temporary
 * root, the families and their steps, and a deterministic clock. Not part of the
 * runtime entry point (`@govern/service-runner/testing`).
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { tickingClock } from '@govern/adapter-kit';
import { toErrorJSON } from '@govern/errors';
import { createServiceRunner } from './runner.js';
import type { RetentionPolicy, ServiceMode } from './context.js';

/** The fixtures directory: `repo/` (the repository) and `families/*.json`. */
export const FIXTURES_DIR = fileURLToPath(new URL('../fixtures/', import.meta.url));

/** The clock every fixture run starts from (a second per reading). */
export const FIXTURE_CLOCK_START = '2026-01-01T00:00:00.000Z';
export const fixtureClock = (): (() => Date) => tickingClock(FIXTURE_CLOCK_START);

/** Copies the fixture repository to a fresh temporary directory and returns its path (the caller removes it). */
export function fixtureRepo(prefix = 'govern-service-', edits: FixtureFamily['edits'] = []): string {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.cpSync(path.join(FIXTURES_DIR, 'repo'), root, { recursive: true });
  for (const e of edits ?? []) {
    const f = path.join(root, e.file);
    const text = fs.readFileSync(f, 'utf8');
    if (!text.includes(e.replace)) throw new Error(`fixture edit: ${e.file} has no ${JSON.stringify(e.replace)}`);
    fs.writeFileSync(f, text.replace(e.replace, e.with));
  }
  return root;
}

export interface FixtureStep {
  operation: string;
  input: Record<string, unknown>;
  /** Who calls (default `agent-a`). */
  actor?: string;
  /** The whole output, or the whole error `{ code, message, details }`; the temporary root reads `<root>`. */
  expect?: { output: unknown } | { error: unknown };
}

export interface FixtureFamily {
  family: string;
  description: string;
  covers: string[];
  /** `memoryd`: the family runs against a real memoryd on its root (memory.* answer instead of being refused). */
  runner: { mode: ServiceMode; retention?: Partial<RetentionPolicy>; memoryd?: boolean };
  /** Edits of the fixture repository before the run: `replace` the first occurrence in `file` `with`. */
  edits?: Array<{ file: string; replace: string; with: string }>;
  steps: FixtureStep[];
  report?: unknown;
}

/** Every family of `fixtures/families/`, by file name. */
export function loadFamilies(): Array<{ file: string; family: FixtureFamily }> {
  const dir = path.join(FIXTURES_DIR, 'families');
  return fs
    .readdirSync(dir)
    .filter((f) => f.endsWith('.json'))
    .sort()
    .map((f) => ({ file: path.join(dir, f), family: JSON.parse(fs.readFileSync(path.join(dir, f), 'utf8')) as FixtureFamily }));
}

/**
 * A step's input with its references resolved: a string `$step[N].a.b` is the
 * value at `a.b` of step N's result (`{ output }` or `{ error }`), so a later step
 * can name the review id an earlier denial gave.
 */
export function resolveInput(input: unknown, results: readonly unknown[]): unknown {
  if (typeof input === 'string') {
    const m = /^\$step\[(\d+)\]\.(.+)$/.exec(input);
    if (!m) return input;
    return m[2]!.split('.').reduce<unknown>((v, k) => (v as Record<string, unknown> | undefined)?.[k], results[Number(m[1])]);
  }
  if (Array.isArray(input)) return input.map((v) => resolveInput(v, results));
  if (input && typeof input === 'object') return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, resolveInput(v, results)]));
  return input;
}

/** `value` as JSON with every occurrence of `root` replaced by `<root>` (paths in messages). */
export function normalizeRoot<T>(value: T, root: string): T {
  return JSON.parse(JSON.stringify(value).split(JSON.stringify(root).slice(1, -1)).join('<root>')) as T;
}

/**
 * One call of every operation, in an order where each can succeed or is refused for
 * the reason named: run once through HTTP and once through the library on two copies
 * of the fixture repository, the answers must be the same objects. `status` is the
 * HTTP status expected.
 */
export const SEQUENCE: Array<{ operation: string; input: Record<string, unknown>; status: number; actor?: string }> = [
  { operation: 'health', input: {}, status: 200 },
  { operation: 'graph.query', input: { kind: ['milestone'] }, status: 200 },
  { operation: 'graph.next', input: { limit: 2 }, status: 200 },
  { operation: 'gates.evaluate', input: { name: 'binder' }, status: 200 },
  { operation: 'task.set_status', input: { id: 'SR-WP-01-T01', status: 'partial' }, status: 200 },
  { operation: 'task.set_status', input: { id: 'SR-WP-01-T02', status: 'in_progress' }, status: 409 },
  { operation: 'lifecycle.apply', input: { id: 'SR-WP-01-T03', status: 'blocked', reason: 'waiting on the ledger' }, status: 403 },
  { operation: 'review.approve', input: { review_id: 'rv-REVIEW', reviewer: 'reviewer-b' }, status: 200, actor: 'reviewer-b' },
  { operation: 'lifecycle.apply', input: { id: 'SR-WP-01-T03', status: 'blocked', reason: 'waiting on the ledger' }, status: 200 },
  { operation: 'package.compile', input: { workplan: 'SR-WP-01' }, status: 200 },
  // After the compile: a closure's manifest records durations (and the surface), which a bundle would hash.
  { operation: 'task.close', input: { id: 'SR-WP-01-T01' }, status: 200 },
  { operation: 'memory.query', input: { query: { primitive: 'guard_denials_by_policy_reason_code' } }, status: 403 },
  { operation: 'memory.upsert', input: { upsert: { kind: 'annotation', trace_id: '0af7651916cd43dd8448eb211c80319c', span_id: 'b7ad6b7169203331', name: 'triage', value: 1 } }, status: 403 },
  { operation: 'binder.suggest', input: { limit: 5 }, status: 200 },
  { operation: 'graph.import', input: { source: 'jira' }, status: 501 },
  { operation: 'audit.query', input: { limit: 3 }, status: 200 },
];

/** The review id the denial before it gave (the placeholder rv-REVIEW). */
export function withReview(input: Record<string, unknown>, results: unknown[]): Record<string, unknown> {
  if (input.review_id !== 'rv-REVIEW') return input;
  const denial = results.findLast((r) => (r as { error?: { details?: { review_id?: string } } }).error?.details?.review_id) as { error: { details: { review_id: string } } };
  return { ...input, review_id: denial.error.details.review_id };
}


/**
 * {@link SEQUENCE} through the library on `root` (the fixture clock, actor
 * agent-a): each step's `{ output }` or `{ error }`, the root replaced by `<root>`.
 * The HTTP and MCP tests compare what their surface answers with this.
 */
export async function runSequenceViaLibrary(root: string): Promise<unknown[]> {
  const runner = createServiceRunner({ root, now: fixtureClock(), actor: 'agent-a', cacheDir: null, env: { PATH: process.env.PATH }, toolVersion: '0.0.0-fixture' });
  const results: unknown[] = [];
  try {
    for (const step of SEQUENCE) {
      try {
        results.push({ output: await runner.run(step.operation, withReview(step.input, results), { actor: step.actor ?? 'agent-a' }) });
      } catch (err) {
        results.push({ error: toErrorJSON(err) });
      }
    }
  } finally {
    await runner.close();
  }
  return normalizeRoot(results, root);
}

/** The repository root (where node_modules resolves DuckDB for a bundle built inside it). */
const REPO = fileURLToPath(new URL('../../../', import.meta.url));
let bundle: Promise<string> | null = null;

/**
 * memoryd's command line bundled once per test process, into
 * node_modules/.cache/ of the repository (inside it, so the bundle's external
 * DuckDB resolves), by memoryd's own build script run as a child process.
 */
export function memorydBundle(): Promise<string> {
  return (bundle ??= new Promise((resolve, reject) => {
    const outdir = path.join(REPO, 'node_modules/.cache', `govern-service-runner-memoryd-${process.pid}`);
    execFile(process.execPath, [path.join(REPO, 'apps/memoryd/scripts/build.mjs'), outdir], { cwd: REPO }, (err, _out, stderr) =>
      err ? reject(new Error(`memoryd build failed: ${stderr}`)) : resolve(path.join(outdir, 'memoryd.mjs')),
    );
  }));
}

/** Removes the memoryd bundle this process built (call once, after the tests). */
export function removeMemorydBundle(): void {
  if (bundle) fs.rmSync(path.join(REPO, 'node_modules/.cache', `govern-service-runner-memoryd-${process.pid}`), { recursive: true, force: true });
}

/**
 * A real memoryd for `root` (whose `memory-store` gate must be open): a child
 * process on 127.0.0.1, a fresh DuckDB file in the root's `.govern/memory/`.
 * Resolves with its URL once it printed its listening line; `stop` sends SIGTERM
 * and waits for the exit.
 */
export async function startMemoryd(root: string): Promise<{ url: string; stop(): Promise<void> }> {
  const file = await memorydBundle();
  const proc = spawn(process.execPath, [file, 'serve', '--root', root, '--db', path.join(root, '.govern/memory/memory.duckdb'), '--port', '0'], {
    cwd: root,
    env: { PATH: process.env.PATH ?? '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<void>((r) => proc.on('exit', () => r()));
  let out = '';
  let err = '';
  proc.stderr.on('data', (d: Buffer) => (err += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`memoryd did not start within 30 s: ${err}`)), 30_000);
    proc.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n').find((l) => l.includes('"listening"'));
      if (line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    void exited.then(() => reject(new Error(`memoryd exited before listening: ${err}`)));
  });
  return {
    url,
    stop: async () => {
      proc.kill('SIGTERM');
      await exited;
    },
  };
}
