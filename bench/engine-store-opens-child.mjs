// One round of bench/engine-store-opens.mjs, in its own process (see there):
//
//   node bench/engine-store-opens-child.mjs <workspace bundle> <root> next|restat|prime <restat file>
//
// Opens an engine on <root> (the round's edit is already on disk), lets a second engine in
// this process write the store the first one keeps (`next`: `loadWorkspace` +
// `itemIndex().actionable()`, which saves the memo without a summary; `restat`: a file's
// mtime set an hour back, then `loadWorkspace`, which re-stats it and saves the store), then
// times the first engine's `itemIndex().summary()`: what `status` asks for first. Prints one
// JSON line: the store opens the engine traced (`index-store-open`, the phase GOVERN_TIMING=1
// shows and engine.test.ts counts) and their ms, the opens of the store file seen by
// fs.openSync (a check on the trace), the wall and CPU (user+sys, process.cpuUsage) ms.
// `prime` only loads the root twice (cold, then warm), unmeasured.
import fs from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { pathToFileURL } from 'node:url';

const [lib, root, mode, restatFile] = process.argv.slice(2);
const { loadWorkspace, WorkspaceEngine } = await import(pathToFileURL(lib).href);

if (mode === 'prime') {
  await loadWorkspace({ root });
  await loadWorkspace({ root });
  process.stdout.write(`${JSON.stringify({ mode })}\n`);
  process.exit(0);
}

// Every open of the store file (fragments-*.bin; not its temporary copy a save writes) while counting.
const cacheDir = path.join(root, '.govern', 'cache');
let counting = false;
let fileOpens = 0;
const openSync = fs.openSync;
fs.openSync = function (file, ...rest) {
  if (counting && typeof file === 'string' && path.dirname(file) === cacheDir && /^fragments-.*\.bin$/.test(path.basename(file))) fileOpens++;
  return openSync.call(this, file, ...rest);
};
syncBuiltinESMExports();

const phases = [];
const engine = await WorkspaceEngine.open({ root, trace: (phase, ms) => phases.push([phase, ms]) });

if (mode === 'next') (await loadWorkspace({ root })).itemIndex().actionable();
else if (mode === 'restat') {
  const hourAgo = Date.now() / 1000 - 3600;
  fs.utimesSync(path.join(root, restatFile), hourAgo, hourAgo);
  const other = await loadWorkspace({ root });
  if (other.stats.parsed !== 0) throw new Error(`the re-stat load parsed ${other.stats.parsed} files (expected 0)`);
} else throw new Error(`unknown mode ${mode}`);

phases.length = 0;
counting = true;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const summary = engine.workspace().itemIndex().summary();
const wallMs = performance.now() - t0;
const cpu = process.cpuUsage(cpu0);
counting = false;

const opens = phases.filter(([p]) => p === 'index-store-open');
process.stdout.write(
  `${JSON.stringify({
    mode,
    opens: opens.length,
    openMs: opens.reduce((s, [, ms]) => s + ms, 0),
    fileOpens,
    wallMs,
    cpuMs: (cpu.user + cpu.system) / 1000,
    phases: phases.filter(([p]) => p.startsWith('index')).map(([p]) => p),
    documents: summary.documents,
    blocked: summary.blocked,
  })}\n`,
);
