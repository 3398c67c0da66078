import zlib from 'node:zlib'; globalThis.__z = zlib; const COMMA = Buffer.from(',');
import fs from 'node:fs';
import { performance } from 'node:perf_hooks';
const { FragmentStore } = await import('/tmp/gv-bench/lib/ws.mjs');
const file = '/tmp/gv-bench/libcache/' + fs.readdirSync('/tmp/gv-bench/libcache')[0];
const t = (label, f) => { const t0 = performance.now(); const r = f(); console.log(label, (performance.now() - t0).toFixed(1)); return r; };
for (let round = 0; round < 3; round++) {
  const bytes = fs.readFileSync(file);
  const len = bytes.readUInt32LE(bytes.length - 16);
  const h = t('header parse', () => JSON.parse(bytes.subarray(bytes.length - 16 - len, bytes.length - 16).toString()));
  const parts = h.files.map((f, i) => bytes.subarray(h.g[3 * i], h.g[3 * i] + h.g[3 * i + 1]));
  t('crc all', () => { let x = 0; for (const p of parts) x ^= require_crc(p); return x; });
  t('decode each', () => parts.map((p) => JSON.parse(p.subarray(4, 4 + p.readUInt32LE(0)).toString('utf8'))));
  t('decode one', () => { const s = parts.map((p) => p.subarray(4, 4 + p.readUInt32LE(0))); const all = []; for (let i = 0; i < s.length; i++) { if (i) all.push(COMMA); all.push(s[i]); } return JSON.parse('[' + Buffer.concat(all).toString('utf8') + ']'); });
  t('header stringify', () => JSON.stringify(h).length);
  console.log('contrib bytes', parts.reduce((a, p) => a + p.readUInt32LE(0), 0), 'header bytes', len);
}
function require_crc(p) { return globalThis.__z.crc32(p); }
