import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { sendJson } from '@govern/http-service';
import { ACTOR_HEADER, operationList, startServiceServer, type RunningService } from './http.js';
import { openApiText } from './openapi.js';
import { SERVICE_OPERATIONS } from './operations.js';
import { createServiceRunner, type ServiceRunner } from './runner.js';
import { fixtureClock, fixtureRepo, normalizeRoot, runSequenceViaLibrary, SEQUENCE, withReview } from './testing.js';

const roots: string[] = [];
const services: RunningService[] = [];
afterAll(async () => {
  for (const s of services.splice(0)) await s.close();
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});

const TOKEN = 'a-test-token-of-at-least-32-bytes-0123456789';

function runnerOn(root: string): ServiceRunner {
  return createServiceRunner({ root, now: fixtureClock(), actor: 'agent-a', cacheDir: null, env: { PATH: process.env.PATH }, toolVersion: '0.0.0-fixture' });
}
function freshRoot(): string {
  const r = fixtureRepo();
  roots.push(r);
  return r;
}

async function post(url: string, operation: string, input: unknown, headers: Record<string, string> = {}) {
  const res = await fetch(`${url}/v1/operations/${operation}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(input) });
  return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
}

describe('the operations over HTTP', () => {
  let viaLibrary: unknown[] = [];
  beforeAll(async () => {
    viaLibrary = await runSequenceViaLibrary(freshRoot());
  });

  test('the sequence names every operation of SERVICE_OPERATIONS', () => {
    expect([...new Set(SEQUENCE.map((s) => s.operation))].sort()).toEqual(SERVICE_OPERATIONS.map((o) => o.name).sort());
  });

  test('every operation answers over HTTP what the library answers, with the status of its outcome', async () => {
    const root = freshRoot();
    const service = await startServiceServer({ runner: runnerOn(root), port: 0 });
    services.push(service);
    expect(service.host).toBe('127.0.0.1');
    const viaHttp: unknown[] = [];
    const statuses: number[] = [];
    for (const step of SEQUENCE) {
      const r = await post(service.url, step.operation, withReview(step.input, viaHttp), { [ACTOR_HEADER]: step.actor ?? 'agent-a' });
      statuses.push(r.status);
      viaHttp.push(r.status === 200 ? { output: r.body } : r.body);
    }
    expect(statuses).toEqual(SEQUENCE.map((s) => s.status));
    const normalized = normalizeRoot(viaHttp, root);
    // audit.query differs only in `via` (and so in the hashes): compared apart.
    expect(normalized.slice(0, -1)).toEqual(viaLibrary.slice(0, -1));
    const audit = (normalized.at(-1) as { output: { entries: Array<{ via: string; action: string; outcome: string }>; verified: boolean; retention: { total: number } } }).output;
    // Reads are audited only when refused: binder.suggest is not there.
    expect(audit.entries.map((e) => [e.via, e.action, e.outcome])).toEqual([
      ['http', 'memory.query', 'denied'],
      ['http', 'memory.upsert', 'denied'],
      ['http', 'graph.import', 'failed'],
    ]);
    expect(audit.verified).toBe(true);
  });
});

describe('the server', () => {
  test('with a token: /health and /openapi.json are open, everything else needs the bearer token', async () => {
    const root = freshRoot();
    const service = await startServiceServer({ runner: runnerOn(root), port: 0, token: TOKEN });
    services.push(service);
    const health = await fetch(`${service.url}/health`);
    expect(health.status).toBe(200);
    expect(((await health.json()) as { ok: boolean }).ok).toBe(true);
    const openapi = await fetch(`${service.url}/openapi.json`);
    expect(await openapi.text()).toBe(openApiText());
    const list = await fetch(`${service.url}/v1/operations`);
    expect(list.status).toBe(401);
    expect(list.headers.get('www-authenticate')).toBe('Bearer realm="govern"');
    expect(await list.json()).toEqual({ error: { code: 'unauthorized', message: 'this service needs Authorization: Bearer <token>', details: {} } });
    const authorized = await fetch(`${service.url}/v1/operations`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await authorized.json()).toEqual(operationList());
    expect((await post(service.url, 'graph.next', {})).status).toBe(401);
    expect((await post(service.url, 'graph.next', {}, { authorization: 'Bearer wrong' })).status).toBe(401);
    const ok = await post(service.url, 'graph.next', { limit: 1 }, { authorization: `Bearer ${TOKEN}` });
    expect(ok).toMatchObject({ status: 200 });
    expect((ok.body as { nodes: Array<{ id: string }> }).nodes.map((n) => n.id)).toEqual(['SR-WP-01-T01']);
  });

  test('refuses a non-loopback bind without a token, or with a short one, before listening', async () => {
    const root = freshRoot();
    const runner = runnerOn(root);
    await expect(startServiceServer({ runner, host: '0.0.0.0', port: 0 })).rejects.toMatchObject({ code: 'unsafe-bind', details: { host: '0.0.0.0', tokenBytes: null, minTokenBytes: 32 } });
    await expect(startServiceServer({ runner, host: '0.0.0.0', port: 0, token: 'short' })).rejects.toMatchObject({ code: 'unsafe-bind', details: { host: '0.0.0.0', tokenBytes: 5, minTokenBytes: 32 } });
    await runner.close();
  });

  test('unknown routes, wrong methods, bodies that are not JSON and unknown operations are coded refusals', async () => {
    const root = freshRoot();
    const service = await startServiceServer({ runner: runnerOn(root), port: 0 });
    services.push(service);
    const nope = await fetch(`${service.url}/nope`);
    expect([nope.status, await nope.json()]).toEqual([404, { error: { code: 'not-found', message: 'no route /nope', details: {} } }]);
    const get = await fetch(`${service.url}/v1/operations/health`);
    expect([get.status, await get.json()]).toEqual([405, { error: { code: 'method-not-allowed', message: 'GET is not allowed on /v1/operations/health', details: { allow: ['POST'] } } }]);
    const bad = await fetch(`${service.url}/v1/operations/health`, { method: 'POST', body: '{nope' });
    expect([bad.status, await bad.json()]).toEqual([400, { error: { code: 'bad-request', message: 'the request body is not JSON', details: {} } }]);
    const unknown = await post(service.url, 'task.delete', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({
      error: {
        code: 'operation-unknown',
        message: `no operation task.delete: one of ${SERVICE_OPERATIONS.map((o) => o.name).join(', ')}`,
        details: { operation: 'task.delete', failure_reason_code: 'service.operation-unknown', policy_reason_code: null, known: SERVICE_OPERATIONS.map((o) => o.name) },
      },
    });
    // An empty body is the empty input.
    const empty = await fetch(`${service.url}/v1/operations/graph.next`, { method: 'POST' });
    expect(empty.status).toBe(200);
  });

  test('more routes can be mounted beside the operations (the later web view), with or without the token', async () => {
    const root = freshRoot();
    const service = await startServiceServer({
      runner: runnerOn(root),
      port: 0,
      token: TOKEN,
      routes: [
        { method: 'GET', path: '/ui', prefix: true, auth: false, handle: (_req, res, url) => sendJson(res, 200, { page: url.pathname }) },
        { method: 'GET', path: '/ui-data', auth: true, handle: (_req, res) => sendJson(res, 200, { data: true }) },
      ],
    });
    services.push(service);
    const page = await fetch(`${service.url}/ui/tasks`);
    expect([page.status, await page.json()]).toEqual([200, { page: '/ui/tasks' }]);
    const post = await fetch(`${service.url}/ui`, { method: 'POST' });
    expect([post.status, ((await post.json()) as { error: { code: string } }).error.code]).toEqual([405, 'method-not-allowed']);
    expect((await fetch(`${service.url}/ui-data`)).status).toBe(401);
    const data = await fetch(`${service.url}/ui-data`, { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(await data.json()).toEqual({ data: true });
  });
});
