import fs from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { DEFAULT_SERVICE_PORT, SERVICE_OPERATIONS } from '@govern/service-runner';
import { fixtureRepo } from '@govern/service-runner/testing';
import { serveCommand, SERVICE_PORT } from './commands/serve.js';
import { cli } from './test-support.js';

// `govern serve` in process (the injectable context): a real HTTP server on 127.0.0.1
// over a copy of the service runner's fixture repository.

const roots: string[] = [];
afterAll(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});
function freshRoot(): string {
  const r = fixtureRepo('govern-serve-');
  roots.push(r);
  return r;
}

/** Starts `govern serve --json` in process; resolves once it printed its line. */
async function serve(root: string, opts: Record<string, unknown> = {}, env: Record<string, string> = {}) {
  let out = '';
  let err = '';
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const ctx = { cwd: root, stdout: { write: (s: string | Uint8Array) => (out += String(s)) }, stderr: { write: (s: string) => (err += s) }, env: { GOVERN_ACTOR: 'agent-a', PATH: process.env.PATH, ...env } };
  const running = serveCommand(ctx, { root, port: 0, json: true, cache: false, ...opts }, stopped);
  while (!out.includes('\n')) {
    if (err.startsWith('govern:')) break;
    await new Promise((r) => setTimeout(r, 10));
  }
  return { info: JSON.parse(out) as { url: string; host: string; port: number; mode: string; store: string; auth: boolean; operations: number }, stop, running, err: () => err };
}

describe('govern serve', () => {
  test('listens on 127.0.0.1, prints its line, answers an operation, records it in the audit, stops on request', async () => {
    const root = freshRoot();
    const s = await serve(root);
    expect({ ...s.info, url: undefined, port: undefined }).toEqual({ url: undefined, host: '127.0.0.1', port: undefined, mode: 'guided', store: 'file-store', auth: false, operations: SERVICE_OPERATIONS.length });
    const res = await fetch(`${s.info.url}/v1/operations/task.set_status`, { method: 'POST', body: JSON.stringify({ id: 'SR-WP-01-T03', status: 'blocked', reason: 'waiting' }) });
    expect(res.status).toBe(200);
    expect(((await res.json()) as { to: unknown }).to).toEqual({ status: 'blocked', text: 'blocked' });
    const audit = await fetch(`${s.info.url}/v1/operations/audit.query`, { method: 'POST', body: '{}' });
    const entries = ((await audit.json()) as { entries: Array<{ actor: string; via: string; action: string; subject: string; outcome: string }> }).entries;
    expect(entries.map((e) => [e.actor, e.via, e.action, e.subject, e.outcome])).toEqual([['agent-a', 'http', 'task.set_status', 'SR-WP-01-T03', 'applied']]);
    s.stop();
    expect(await s.running).toBe(0);
    expect(s.err()).toContain('govern serve: listening on http://127.0.0.1:');
    expect(s.err()).toContain('govern serve: gate memory-store is disabled (blocked by SR-03): its operations answer gate-disabled');
    expect(s.err()).toContain('govern serve: POST /v1/operations/task.set_status 200');
    expect(s.err()).toContain('govern serve: stopped');
    expect(SERVICE_PORT).toBe(DEFAULT_SERVICE_PORT);
  });

  test('--mode shadow and --token-env: the token guards the operations, the mode denies writes', async () => {
    const root = freshRoot();
    const token = 'serve-test-token-0123456789abcdef0123';
    const s = await serve(root, { mode: 'shadow', tokenEnv: 'SVC_T' }, { SVC_T: token });
    expect([s.info.mode, s.info.auth]).toEqual(['shadow', true]);
    expect((await fetch(`${s.info.url}/v1/operations/graph.next`, { method: 'POST' })).status).toBe(401);
    const denied = await fetch(`${s.info.url}/v1/operations/task.set_status`, { method: 'POST', headers: { authorization: `Bearer ${token}` }, body: JSON.stringify({ id: 'SR-WP-01-T03', status: 'blocked' }) });
    expect([denied.status, ((await denied.json()) as { error: { details: unknown } }).error.details]).toEqual([
      403,
      { operation: 'task.set_status', failure_reason_code: null, policy_reason_code: 'service.shadow-mode', mode: 'shadow' },
    ]);
    s.stop();
    expect(await s.running).toBe(0);
    expect(s.err()).not.toContain(token);
  });

  test('a non-loopback --host without a token is a usage error (exit 2), nothing listens', async () => {
    const root = freshRoot();
    const r = await cli(['serve', '--root', root, '--host', '0.0.0.0', '--port', '0', '--json']);
    expect([r.code, JSON.parse(r.out)]).toEqual([
      2,
      {
        error: {
          code: 'usage',
          message: 'refusing to listen on 0.0.0.0 without a token: a non-loopback govern service needs --token-env (an environment variable holding the bearer token)',
          details: {},
        },
      },
    ]);
  });

  test('--help documents the options, the JSON line and the exit codes; a bad --mode is a usage error', async () => {
    const r = await cli(['serve', '--help']);
    expect(r.code).toBe(0);
    for (const s of ['--port <n>', '--host <address>', '--token-env <name>', '--mode <mode>', '--store <pack>', '--retention-days <n>', '--json', '/v1/operations/<name>', 'Exit 0 after SIGINT/SIGTERM']) expect(r.out).toContain(s);
    const bad = await cli(['serve', '--mode', 'reckless']);
    expect([bad.code, bad.err]).toEqual([2, "error: option '--mode <mode>' argument 'reckless' is invalid. Allowed choices are shadow, guided, prescriptive.\n(run with --help for usage)\n"]);
  });
});
