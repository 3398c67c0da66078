import { StateHubClient, syncStateHub } from '@govern/statehub';

// A `govern statehub sync` in its own process, for the interruption tests
// (src/__fixtures__/interrupted.ts bundles it with esbuild). It numbers every point at
// which the sync has changed something — a StateHub response to a write (the
// change is committed on the server, the client has not used the answer yet),
// a file written, a sync-state record — prints each on stdout, and SIGKILLs
// itself at point `killAt`. `delayMs` slows each point down so the parent can
// also kill it from outside at an arbitrary moment.

interface Job {
  root: string;
  url: string;
  repo: string;
  killAt: number | null;
  delayMs?: number;
}

const job = JSON.parse(process.argv[2]!) as Job;
let n = 0;
async function point(label: string): Promise<void> {
  n++;
  process.stdout.write(`point ${n} ${label}\n`);
  if (job.killAt === n) process.kill(process.pid, 'SIGKILL');
  if (job.delayMs) await new Promise((r) => setTimeout(r, job.delayMs));
}

const client = new StateHubClient({
  url: job.url,
  onResponse: (op, status) => (/^(put|patch)/.test(op) ? point(`response ${op} ${status}`) : undefined),
});
const report = await syncStateHub({ root: job.root, client, repo: job.repo, cacheDir: null, actor: 'child', onStep: (s) => point(`step ${s}`) });
process.stdout.write(`report ${JSON.stringify({ ok: report.ok, actions: report.actions.length })}\n`);
