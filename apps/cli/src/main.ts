import fs from 'node:fs';
import { PerformanceObserver } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
// The run API only (not the package index, which also re-exports the zod-validated
// configuration): what every invocation, `govern --version` included, loads.
import { withRunTelemetry } from '@govern/telemetry/run';
import { runCli } from './program.js';
import { cliTelemetryOptions } from './telemetry.js';

// GOVERN_TIMING=1 breaks the run down on stderr. performance.now() counts from the
// process start, so the first figure is Node start-up plus loading this bundle; the
// garbage collector's share is summed separately (it overlaps the phases).
const timing = process.env.GOVERN_TIMING === '1';
let gcMs = 0;
// Held in a variable: an unreferenced observer can itself be collected and go quiet.
const gcObserver = timing
  ? new PerformanceObserver((list) => {
      for (const e of list.getEntries()) gcMs += e.duration;
    })
  : null;
if (timing) {
  process.stderr.write(`govern timing: startup ${performance.now().toFixed(1)} ms\n`);
  gcObserver?.observe({ entryTypes: ['gc'] });
}

/** This bundle's size and mtime: a rebuilt CLI does not reuse a graph snapshot an older build wrote. */
function buildId(): string | undefined {
  try {
    const st = fs.statSync(fileURLToPath(import.meta.url));
    return `${st.size}:${st.mtimeMs}`;
  } catch {
    return undefined;
  }
}

// A reader that stops early (`govern graph --json | head`, an agent that has seen
// enough) closes the pipe: stop quietly with the exit code of the run, as other
// command-line tools do, instead of dying on an unhandled EPIPE with a stack trace.
process.stdout.on('error', (err: NodeJS.ErrnoException) => {
  if (err.code !== 'EPIPE') throw err;
  process.exit(process.exitCode ?? 0);
});

// The bundled binary's entry. Setting exitCode (not calling process.exit) lets a
// large JSON document finish draining into a pipe before the process ends.
const code = await withRunTelemetry(cliTelemetryOptions(process.env, process.stderr), () => runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  workerUrl: new URL('./parse-worker.js', import.meta.url),
  buildId: buildId(),
}));
process.exitCode = code;
if (timing) {
  // GC entries reach the observer from a timer, not on the next immediate.
  await new Promise((resolve) => setTimeout(resolve, 0));
  gcObserver?.disconnect();
  process.stderr.write(`govern timing: gc ${gcMs.toFixed(1)} ms (overlaps the phases)\ngovern timing: total ${performance.now().toFixed(1)} ms\n`);
}
