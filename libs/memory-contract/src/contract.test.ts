import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { isGovernError } from '@govern/errors';
import { MemoryApiError, MemoryClient, QueryRequestSchema, resolveWindow } from './index.js';

const servers: http.Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
});
/** A loopback server answering every request with `status` and `body`; returns its URL. */
async function answering(status: number, body: string): Promise<string> {
  const server = http.createServer((_req, res) => res.writeHead(status, { 'content-type': 'application/json' }).end(body));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
const refusal = async (p: Promise<unknown>) => {
  const err = await p.catch((e: unknown) => e);
  return [err instanceof MemoryApiError, isGovernError(err), (err as MemoryApiError).status, (err as MemoryApiError).toJSON()];
};

describe('the memory contract', () => {
  it('MemoryApiError is a GovernError with its code, details and HTTP status', () => {
    const err = new MemoryApiError('window-too-wide', 'too wide', { maxMs: 1 });
    expect([err.name, isGovernError(err), err.status, err.exitCode, err.toJSON()]).toEqual(['MemoryApiError', true, 400, 1, { code: 'window-too-wide', message: 'too wide', details: { maxMs: 1 } }]);
    expect(new MemoryApiError('something-new', 'x').status).toBe(500);
  });

  it('refuses a window wider than 31 days, and resolves a given one exactly', () => {
    expect(() => resolveWindow({ from: '2026-01-01T00:00:00Z', to: '2026-03-01T00:00:00Z' }, 0n)).toThrow(expect.objectContaining({ code: 'window-too-wide' }));
    expect(resolveWindow({ from: '2026-01-01T00:00:00Z', to: '2026-01-02T00:00:00Z' }, 0n)).toEqual({
      fromNs: 1_767_225_600_000_000_000n,
      toNs: 1_767_312_000_000_000_000n,
      window: { from: '2026-01-01T00:00:00.000Z', to: '2026-01-02T00:00:00.000Z', fromNs: '1767225600000000000', toNs: '1767312000000000000' },
    });
    expect(QueryRequestSchema.parse({ primitive: 'gate_rollup_by_failure_reason_code' })).toEqual({ primitive: 'gate_rollup_by_failure_reason_code', limit: 50, filters: {} });
  });

  it('the client passes memoryd\'s refusal through, and says when memoryd is absent or answers off-contract', async () => {
    const refusing = await answering(404, JSON.stringify({ error: { code: 'not-found', message: 'no such route', details: { route: '/x' } } }));
    expect(await refusal(new MemoryClient({ url: refusing, token: 'secret-token' }).health())).toEqual([
      true,
      true,
      404,
      { code: 'not-found', message: 'no such route', details: { route: '/x' } },
    ]);
    const offContract = await answering(200, JSON.stringify({ status: 'ok' }));
    const [isApi, , status, json] = await refusal(new MemoryClient({ url: offContract }).health());
    expect([isApi, status, (json as { code: string }).code]).toEqual([true, 502, 'contract-mismatch']);
    const closed = await answering(200, '{}');
    servers.pop()!.close();
    await new Promise((r) => setTimeout(r, 20));
    const absent = await refusal(new MemoryClient({ url: closed, timeoutMs: 2000 }).health());
    expect([absent[2], (absent[3] as { code: string }).code, JSON.stringify(absent[3]).includes('secret-token')]).toEqual([503, 'memoryd-unavailable', false]);
  });
});
