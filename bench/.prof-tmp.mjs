import { build } from 'esbuild';
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
const lib = '/tmp/gv-bench/lib/ws.mjs';
await build({ entryPoints: ['/work/main/libs/workspace/src/index.ts'], outfile: lib, bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'warning', banner: { js: "import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" } });
const { loadWorkspace } = await import(lib);
const C = '/tmp/gv-bench/c10k';
const F = C + '/workplans/' + fs.readdirSync(C + '/workplans').sort()[2999];
const orig = fs.readFileSync(F); const st = fs.statSync(F);
const opts = (phases) => ({ root: C, cacheDir: '/tmp/gv-bench/libcache', trace: (p, ms) => phases.push(`${p} ${ms.toFixed(0)}`) });
const run = async (label) => { const ph = []; const t0 = performance.now(); const ws = await loadWorkspace(opts(ph)); ws.graphJson(); console.log(label, (performance.now() - t0).toFixed(0), 'parsed', ws.stats.parsed, ph.join(', ')); };
if (!fs.existsSync('/tmp/gv-bench/libcache')) await run('cold');
await run('warm');
for (let i = 0; i < 3; i++) {
  await run('warm');
  fs.appendFileSync(F, `\nedit ${i}\n`);
  await run('changed');
  fs.writeFileSync(F, orig); fs.utimesSync(F, st.atime, st.mtime);
  await run('settle');
}
