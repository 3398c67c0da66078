// The test totals at the end of CI (.ci/run): sums the Vitest JSON reports of `npm test`
// (reports/vitest) and `npm run soak` (reports/vitest-soak) and names every test that
// failed. Only the tail of a CI run's output is kept where it is read, so the names must
// come last: GV-27's run ended "1784 passed, 1 failed" and no one could tell which test it
// was (GV-28).
//
// Usage: node scripts/ci-summary.mjs [--root .] [dir ...]   (dirs default to the two above)
// Prints, to standard output:
//   ::: vitest reports: N, failed test files: N
//   FAILED <project report> <file> > <full name> (<ms>)  one block per failed test, each
//     <the first lines of its first failure message>    followed by a few indented lines
//     at <file>:<line>:<column>                         and where in the test it failed
//   N passed, N failed                                 always the last line
// A test file that failed without a failed test (an import or a hook that threw) is listed
// as FAILED <file> with its message. Exit codes: 0 nothing failed, 1 a test or a test file
// failed or a report could not be read, 2 no report at all.
import fs from 'node:fs';
import path from 'node:path';

const args = process.argv.slice(2);
let root = process.cwd();
const dirs = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--root' && args[i + 1]) root = path.resolve(args[++i]);
  else dirs.push(args[i]);
}
if (dirs.length === 0) dirs.push('reports/vitest', 'reports/vitest-soak');

/** How many lines of a failure message to show, and how wide: enough to tell an assertion from a timeout. */
const MESSAGE_LINES = 4;
const LINE_WIDTH = 240;

// Vitest colours its messages when the terminal allows it; a log reads better without.
// eslint-disable-next-line no-control-regex
const ANSI = /\u001b\[[0-9;]*m/g;

/**
 * The first lines of a failure message that say something, indented, and the first stack
 * frame outside node_modules (where in the test it failed). Vitest's JSON report gives a
 * timed-out test the stack of the place it was defined, under the message
 * "STACK_TRACE_ERROR", instead of "Test timed out in N ms": that is said in words.
 */
function excerpt(message) {
  const all = String(message ?? '')
    .replace(ANSI, '')
    .split('\n')
    .map((l) => l.trimEnd());
  const text = all.filter((l) => l.trim() !== '' && !/^\s*at /.test(l)).slice(0, MESSAGE_LINES);
  if (text[0] === 'Error: STACK_TRACE_ERROR') text[0] = 'timed out (vitest reports a timeout as "Error: STACK_TRACE_ERROR", with the stack of the test\'s definition)';
  const frame = all.find((l) => /^\s*at /.test(l) && !/node_modules|\(node:|^\s*at node:/.test(l));
  if (frame) text.push(`at ${rel(frame.trim().replace(/^at (?:.* \()?(?:file:\/\/)?([^()]*?)\)?$/, '$1'))}`);
  return text.map((l) => `    ${l.length > LINE_WIDTH ? `${l.slice(0, LINE_WIDTH - 1)}…` : l}`);
}

const rel = (p) => {
  const r = path.relative(root, p);
  return r && !r.startsWith('..') ? r.split(path.sep).join('/') : p;
};

let passed = 0;
let failed = 0;
let reports = 0;
let failedFiles = 0;
let unreadable = 0;
const out = [];
for (const dir of dirs) {
  const abs = path.resolve(root, dir);
  if (!fs.existsSync(abs)) continue;
  const files = fs
    .readdirSync(abs, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.json'))
    .sort();
  for (const f of files) {
    const file = path.join(abs, f);
    let r;
    try {
      r = JSON.parse(fs.readFileSync(file, 'utf8'));
    } catch (e) {
      unreadable += 1;
      out.push(`UNREADABLE ${rel(file)}: ${e instanceof Error ? e.message : String(e)}`);
      continue;
    }
    reports += 1;
    passed += r.numPassedTests || 0;
    failed += r.numFailedTests || 0;
    for (const t of r.testResults ?? []) {
      const bad = (t.assertionResults ?? []).filter((a) => a.status === 'failed');
      for (const a of bad) {
        out.push(`FAILED ${rel(file)} ${rel(t.name)} > ${a.fullName ?? a.title}${typeof a.duration === 'number' ? ` (${Math.round(a.duration)} ms)` : ''}`);
        out.push(...excerpt((a.failureMessages ?? [])[0]));
      }
      if (t.status === 'failed') {
        failedFiles += 1;
        if (bad.length === 0) {
          out.push(`FAILED ${rel(file)} ${rel(t.name)} (no test failed: the file itself did)`);
          out.push(...excerpt(t.message));
        }
      }
    }
  }
}

console.log(`::: vitest reports: ${reports}, failed test files: ${failedFiles}`);
for (const l of out) console.log(l);
console.log(`${passed} passed, ${failed} failed`);
process.exit(reports === 0 && unreadable === 0 ? 2 : failed > 0 || failedFiles > 0 || unreadable > 0 ? 1 : 0);
