import fs from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { SERVICE_OPERATIONS, serviceToolSpecs, toolName } from '@govern/service-runner';
import { fixtureRepo, normalizeRoot, runSequenceViaLibrary, SEQUENCE, withReview } from '@govern/service-runner/testing';
import { createGovernMcpServer } from './server.js';

// The service runner's operations as MCP tools, through the real MCP server and the
// SDK's client over an in-memory transport: every operation of SERVICE_OPERATIONS is
// called and answers what the library answers on another copy of the fixture repository.

const roots: string[] = [];
afterAll(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});
function freshRoot(): string {
  const r = fixtureRepo('govern-mcp-service-');
  roots.push(r);
  return r;
}

async function connect(root: string) {
  const ctx = { cwd: root, stdout: { write: () => true }, stderr: { write: () => true }, env: { GOVERN_ACTOR: 'agent-a', PATH: process.env.PATH } };
  const mcp = createGovernMcpServer(ctx, { root, cache: false });
  const [a, b] = InMemoryTransport.createLinkedPair();
  const client = new Client({ name: 'test', version: '0.0.0' });
  await Promise.all([mcp.server.connect(a), client.connect(b)]);
  return { client, close: () => client.close() };
}

/** The wall clock stamps reviews over MCP (the library run uses the fixture clock). */
const timeless = (v: unknown) => JSON.parse(JSON.stringify(v).replace(/"(requested_at|approved_at)":"[^"]*"/g, '"$1":"<time>"')) as unknown;

describe('the service tools', () => {
  let viaLibrary: unknown[] = [];
  beforeAll(async () => {
    viaLibrary = await runSequenceViaLibrary(freshRoot());
  });

  test('tools/list has one service_* tool per operation, with its schemas and hints', async () => {
    const { client, close } = await connect(freshRoot());
    const tools = (await client.listTools()).tools.filter((t) => t.name.startsWith('service_'));
    expect(tools.map((t) => t.name)).toEqual(SERVICE_OPERATIONS.map((o) => toolName(o.name)));
    const setStatus = tools.find((t) => t.name === 'service_task_set_status')!;
    expect([setStatus.inputSchema.required, setStatus.annotations?.readOnlyHint, setStatus.outputSchema?.type]).toEqual([['id', 'status'], false, 'object']);
    expect(serviceToolSpecs().filter((s) => s.annotations.readOnlyHint).map((s) => s.operation)).toEqual(['health', 'graph.query', 'graph.next', 'gates.evaluate', 'audit.query', 'memory.query', 'binder.suggest']);
    await close();
  });

  test('every operation called as a tool answers what the library answers', async () => {
    const root = freshRoot();
    const { client, close } = await connect(root);
    const viaMcp: unknown[] = [];
    for (const step of SEQUENCE) {
      const r = await client.callTool({ name: toolName(step.operation), arguments: withReview(step.input, viaMcp) });
      viaMcp.push(r.isError ? r.structuredContent : { output: r.structuredContent });
    }
    await close();
    const normalized = normalizeRoot(viaMcp, root);
    expect(timeless(normalized.slice(0, -1))).toEqual(timeless(viaLibrary.slice(0, -1)));
    const audit = (normalized.at(-1) as { output: { entries: Array<{ via: string; action: string; outcome: string; policy_reason_code: string | null }> } }).output;
    expect(audit.entries.map((e) => [e.via, e.action, e.outcome, e.policy_reason_code])).toEqual([
      ['mcp', 'memory.query', 'denied', 'gate.disabled'],
      ['mcp', 'memory.upsert', 'denied', 'gate.disabled'],
      ['mcp', 'graph.import', 'failed', null],
    ]);
  });

  test('arguments the input schema rejects are a structured refusal', async () => {
    const { client, close } = await connect(freshRoot());
    const r = await client.callTool({ name: 'service_graph_query', arguments: { limit: 0 } });
    expect(r.isError).toBe(true);
    expect((r.structuredContent as { error: { code: string } }).error.code).toBe('invalid-arguments');
    await close();
  });
});
