// Time to first render of the web view's graph (docs/web-view.md#benchmark): `govern serve`
// (the built CLI) on generated repositories of 1,000 and 10,000 items, the graph page opened
// in Debian's headless Chromium through playwright-core. First render is the page's own
// clock (performance.now(), from navigation start) on the frame that paints the laid-out
// graph: HTML, cytoscape's bundle, the graph JSON, layout and paint. The server has loaded
// the workspace before it listens, as `govern serve` does for its users.
//
//   node bench/web-view.mjs [--runs 5] [--sizes 1000,10000]     (npm run bench:web-view)
//
// Goals: median under 1 s at 1,000 items and under 3 s at 10,000; exit 1 when one is
// missed, 2 when the CLI is not built or Chromium is missing.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)));
const args = process.argv.slice(2);
const opt = (name, dflt) => (args.includes(name) ? args[args.indexOf(name) + 1] : dflt);
const runs = Number(opt('--runs', '5'));
const sizes = opt('--sizes', '1000,10000').split(',').map(Number);
const GOALS = { 1000: 1000, 10000: 3000 };
const CHROMIUM = process.env.GOVERN_CHROMIUM ?? '/usr/bin/chromium';
const BIN = path.join(root, 'apps/cli/bin/govern.mjs');

if (!Number.isInteger(runs) || runs < 1 || sizes.some((n) => !Number.isInteger(n) || n < 100)) {
  console.error('usage: node bench/web-view.mjs [--runs N] [--sizes 1000,10000]');
  process.exit(2);
}
if (!fs.existsSync(path.join(root, 'apps/cli/dist/web-view/index.html'))) {
  console.error('bench:web-view: the CLI is not built with its web assets: run `node scripts/build-cli.mjs` first');
  process.exit(2);
}
if (!fs.existsSync(CHROMIUM)) {
  console.error(`bench:web-view: no Chromium at ${CHROMIUM} (install Debian's chromium package or set GOVERN_CHROMIUM)`);
  process.exit(2);
}

/** A repository of `n` items: milestones in a tracker, workplans of 49 tasks chained by dependencies, a gate per 10 milestones (at least 2). */
function generate(n) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `govern-web-bench-${n}-`));
  const milestones = Math.max(1, Math.floor(n / 100));
  const statuses = ['Done', 'In Progress', 'Planned', 'Blocked', 'Partial'];
  let tracker = '# Tracker\n\n| Milestone | Priority | Depends On | Status |\n|---|---|---|---|\n';
  for (let m = 1; m <= milestones; m++) tracker += `| BM-${String(m).padStart(3, '0')} Milestone ${m} | P1 | ${m > 1 ? `BM-${String(m - 1).padStart(3, '0')}` : '-'} | ${statuses[m % 5]} |\n`;
  fs.mkdirSync(path.join(dir, 'trackers'), { recursive: true });
  fs.mkdirSync(path.join(dir, 'workplans'), { recursive: true });
  fs.writeFileSync(path.join(dir, 'trackers/tracker.md'), tracker);
  // Gates, drawn as boundaries around their projects: some enabled, some not, two per project.
  let config = 'gates:\n';
  for (let k = 1; k <= Math.max(2, Math.floor(milestones / 10)); k++) config += `  g${k}:\n    requires: [BM-${String(((k * 7) % milestones) + 1).padStart(3, '0')}]\n    project: libs/p${Math.ceil(k / 2)}\n`;
  fs.writeFileSync(path.join(dir, 'govern.config.yaml'), config);
  let left = n - milestones;
  for (let w = 1; left > 0; w++) {
    const id = `BW-${String(w).padStart(4, '0')}`;
    const tasks = Math.min(49, left - 1);
    left -= tasks + 1;
    const ms = `BM-${String(((w - 1) % milestones) + 1).padStart(3, '0')}`;
    let text = `---\nid: ${id}\ntype: workplan\ntitle: Workplan ${w}\nstatus: in_progress\ndepends_on: [${ms}]\n---\n\n# ${id}: Workplan ${w}\n`;
    for (let t = 1; t <= tasks; t++) {
      const tid = `${id}-T${String(t).padStart(2, '0')}`;
      text += `\n## T${String(t).padStart(2, '0')} - Task ${t}\n\nid: ${tid}\nstatus: ${['done', 'in_progress', 'planned', 'blocked', 'partial'][(w + t) % 5]}\npriority: medium\n${t > 1 ? `depends_on: ${id}-T${String(t - 1).padStart(2, '0')}\n` : ''}`;
    }
    fs.writeFileSync(path.join(dir, `workplans/${id.toLowerCase()}.md`), text);
  }
  return dir;
}

/** Starts `govern serve --port 0 --json` on `dir`; resolves with its URL and a stop function. */
function serve(dir) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, 'serve', '--root', dir, '--port', '0', '--json'], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: process.env.HOME } });
    let out = '';
    let err = '';
    child.stdout.on('data', (b) => {
      out += b;
      if (out.includes('\n')) resolve({ url: JSON.parse(out).url, stop: () => new Promise((r) => (child.once('exit', r), child.kill('SIGTERM'))) });
    });
    child.stderr.on('data', (b) => (err += b));
    child.once('exit', (code) => reject(new Error(`govern serve exited ${code}: ${err}`)));
  });
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
let missed = false;
try {
  for (const n of sizes) {
    const dir = generate(n);
    const server = await serve(dir);
    try {
      // The default view (aggregated above 300 items) has the goal; every item drawn on its
      // own (`mode=items`, what a document filter shows) is reported up to 1,000 items.
      for (const mode of n <= 1000 ? ['auto', 'items'] : ['auto']) {
      const times = [];
      let shape = '';
      for (let i = 0; i < runs; i++) {
        const ctx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
        const page = await ctx.newPage();
        await page.goto(`${server.url}/ui/#/graph${mode === 'auto' ? '' : `?mode=${mode}`}`);
        await page.waitForFunction(() => globalThis.__governFirstRender !== undefined, null, { timeout: 30_000 });
        times.push(await page.evaluate(() => globalThis.__governFirstRender));
        shape ||= await page.textContent('#graph-summary');
        await ctx.close();
      }
      const goal = mode === 'auto' ? GOALS[n] : undefined;
      const m = median(times);
      const ok = goal === undefined || m < goal;
      if (!ok) missed = true;
      console.log(
        `${String(n).padStart(6)} items${mode === 'auto' ? '' : ` (mode=${mode})`}: first render median ${m.toFixed(0)} ms (runs ${times.map((t) => t.toFixed(0)).join(', ')})${goal !== undefined ? `; goal < ${goal} ms ${ok ? 'met' : 'MISSED'}` : ''} — ${shape}`,
      );
      }
    } finally {
      await server.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    }
  }
} finally {
  await browser.close();
}
process.exit(missed ? 1 : 0);
