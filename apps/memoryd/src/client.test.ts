import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { MemoryApiError, MemoryClient } from '@govern/memory-store';
import { afterAll, describe, expect, it } from 'vitest';
import type { Memoryd } from './daemon.js';
import { tempMemoryd } from './testing/daemon.js';

// The memory API's HTTP client (libs/memory-store client.ts) against the real memoryd,
// and against loopback servers that answer what memoryd never would.

const closers: (() => Promise<void>)[] = [];
afterAll(async () => {
  for (const c of closers) await c();
});
const memoryd = (): Promise<Memoryd> => tempMemoryd('memoryd-client-');
async function fake(handler: http.RequestListener): Promise<string> {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  closers.push(
    () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  );
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
const refusal = (p: Promise<unknown>) =>
  p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: MemoryApiError) => (expect(e).toBeInstanceOf(MemoryApiError), { code: e.code, status: e.status, details: e.details }),
  );

describe('MemoryClient', () => {
  it('calls every operation and passes memoryd refusals through with their code and details', async () => {
    const d = await memoryd();
    const c = new MemoryClient({ url: `${d.url}/` });
    const window = { from: '2026-02-13T00:00:00Z', to: '2026-02-14T00:00:00Z' };
    expect(await c.query({ primitive: 'gate_rollup_by_failure_reason_code', window })).toMatchObject({ rows: [], truncated: false, snapshot: { ingestSeq: 0, auditSeq: 0 } });
    expect(await c.upsert({ kind: 'annotation', trace_id: 'a'.repeat(32), span_id: 'b'.repeat(16), name: 'n', value: true })).toMatchObject({ outcome: 'created', subjectExists: false });
    expect((await c.audit({ window: { from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' } })).rows).toEqual([]);
    expect(await c.retention({ maxAgeMs: 1000, dryRun: true })).toMatchObject({ outcome: 'noop' });
    expect(await c.health()).toMatchObject({ status: 'ok', checkpoint: { lastSeq: 0 } });
    expect(await refusal(c.query({ primitive: 'recent_failures_by_taskspec', window: { from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' } }))).toEqual({
      code: 'window-too-wide',
      status: 400,
      details: { maxMs: 2_678_400_000, spanMs: 5_097_600_000 },
    });
  });

  it('names an unreachable memoryd, a slow one, and an answer that breaks the contract', async () => {
    const closed = await fake((_req, res) => res.end());
    const port = new URL(closed).port;
    await closers.pop()!(); // nothing listens there any more
    expect(await refusal(new MemoryClient({ url: `http://127.0.0.1:${port}` }).health())).toMatchObject({ code: 'memoryd-unavailable', status: 503, details: { cause: 'ECONNREFUSED' } });

    const slow = await fake(() => undefined);
    expect(await refusal(new MemoryClient({ url: slow, timeoutMs: 150 }).health())).toMatchObject({ code: 'memoryd-timeout', status: 504 });

    const wrong = await fake((req, res) => {
      res.writeHead(req.url === '/v1/memory/health' ? 200 : 500, { 'content-type': 'application/json' });
      res.end(req.url === '/v1/memory/health' ? '{"status":"fine"}' : '{"oops":1}');
    });
    const c = new MemoryClient({ url: wrong });
    expect(await refusal(c.health())).toMatchObject({ code: 'contract-mismatch', status: 502, details: { issues: expect.arrayContaining([{ path: 'status', message: expect.any(String) }]) } });
    expect(await refusal(c.audit())).toMatchObject({ code: 'contract-mismatch', details: { status: 500 } });
  });
});
