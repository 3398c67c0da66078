import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Session } from 'node:inspector/promises';
const { loadWorkspace } = await import('/tmp/gv-bench/lib/ws.mjs');
const C = '/tmp/gv-bench/c10k';
const F = C + '/workplans/' + fs.readdirSync(C + '/workplans').sort()[2999];
const orig = fs.readFileSync(F); const st = fs.statSync(F);
const opts = (phases) => ({ root: C, cacheDir: '/tmp/gv-bench/libcache', trace: (p, ms) => phases.push(`${p} ${ms.toFixed(0)}`) });
const run = async (label) => { const ph = []; const t0 = performance.now(); const ws = await loadWorkspace(opts(ph)); ws.graphJson(); console.log(label, (performance.now() - t0).toFixed(0), 'parsed', ws.stats.parsed, ph.join(', ')); };
await run('warm');
const s = new Session(); s.connect(); await s.post('Profiler.enable'); await s.post('Profiler.start');
fs.appendFileSync(F, `\nedit x\n`);
await run('changed');
const { profile } = await s.post('Profiler.stop');
fs.writeFileSync(F, orig); fs.utimesSync(F, st.atime, st.mtime);
await run('settle');
// self time by function
const self = new Map(); const byId = new Map(profile.nodes.map(n => [n.id, n]));
const dt = profile.timeDeltas; const samples = profile.samples;
for (let i = 0; i < samples.length; i++) { const n = byId.get(samples[i]); const k = `${n.callFrame.functionName || '(anon)'} ${n.callFrame.url.split('/').pop()}:${n.callFrame.lineNumber}`; self.set(k, (self.get(k) || 0) + (dt[i] || 0) / 1000); }
console.log([...self].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${v.toFixed(0).padStart(6)} ms  ${k}`).join('\n'));
