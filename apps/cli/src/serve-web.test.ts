import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { fixtureRepo } from '@govern/service-runner/testing';
import { serveCommand } from './commands/serve.js';

// `govern serve` mounts the web view (@govern/web-view) beside the operations: the page
// and its assets, the views' JSON, and board moves only with --writes.

const roots: string[] = [];
afterAll(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

async function serve(opts: Record<string, unknown>) {
  const root = fixtureRepo('govern-serve-web-');
  roots.push(root);
  let out = '';
  let err = '';
  let stop!: () => void;
  const stopped = new Promise<void>((r) => (stop = r));
  const ctx = { cwd: root, stdout: { write: (s: string | Uint8Array) => (out += String(s)) }, stderr: { write: (s: string) => (err += s) }, env: { GOVERN_ACTOR: 'web-user', PATH: process.env.PATH } };
  const running = serveCommand(ctx, { root, port: 0, json: true, cache: false, ...opts }, stopped);
  while (!out.includes('\n')) await new Promise((r) => setTimeout(r, 10));
  return { root, url: (JSON.parse(out) as { url: string }).url, stop, running, err: () => err };
}
const move = (url: string) => fetch(`${url}/ui/api/status`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: 'SR-WP-01-T03', status: 'blocked' }) });

describe('govern serve: the web view', () => {
  test('serves the pages read-only by default: a move is refused and nothing is written', async () => {
    const s = await serve({});
    const page = await fetch(`${s.url}/ui/`);
    expect([page.status, page.headers.get('content-type')]).toEqual([200, 'text/html; charset=utf-8']);
    expect((await fetch(`${s.url}/ui/assets/cytoscape.min.js`)).status).toBe(200);
    const board = (await (await fetch(`${s.url}/ui/api/board`)).json()) as { writes: boolean; columns: Array<{ cards: Array<{ id: string; file: string }> }> };
    expect(board.writes).toBe(false);
    const file = path.join(s.root, board.columns.flatMap((c) => c.cards).find((c) => c.id === 'SR-WP-01-T03')!.file);
    const before = fs.readFileSync(file);
    const refused = await move(s.url);
    expect([refused.status, ((await refused.json()) as { error: { code: string } }).error.code]).toEqual([403, 'writes-disabled']);
    expect(fs.readFileSync(file).equals(before)).toBe(true);
    s.stop();
    expect(await s.running).toBe(0);
    expect(s.err()).toContain(`govern serve: web view at ${s.url}/ui/ (read-only; --writes enables board moves)`);
  });

  test('--writes: a move is the status write of task set-status, audited with via web', async () => {
    const s = await serve({ writes: true });
    const res = await move(s.url);
    const body = (await res.json()) as { result: { changed: boolean; to: unknown; audit: { actor: string; via: string } } };
    expect([res.status, body.result.changed, body.result.to, body.result.audit.actor, body.result.audit.via]).toEqual([200, true, { status: 'blocked', text: 'blocked' }, 'web-user', 'web']);
    s.stop();
    expect(await s.running).toBe(0);
  });
});
