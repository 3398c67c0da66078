import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { McpError, type CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { beforeAll, describe, expect, test } from 'vitest';
import { BIN, connectMcp, ensureFreshBundle, tempRoot as writeRoot, CLOSABLE_TRACKER } from './support.js';

// `govern mcp`'s stdio framing: oversized and malformed messages are answered with a
// JSON-RPC error and the session goes on. The SDK's own client where it can send the
// message; raw stdin for what no SDK client would send.

beforeAll(ensureFreshBundle, 120_000);

const LIMIT = 10 * 1024 * 1024;
// A hang guard, not a speed target: below the 30 s test timeout, so a server that hangs
// fails the test with a message, but far above what a working server needs on a loaded
// machine (a 4 s limit failed at load 13-17 with the server answering normally).
const HANG_GUARD_MS = 25_000;
const tempRoot = () => writeRoot({ 'trackers/t.md': CLOSABLE_TRACKER }, 'govern-mcp-stdio-');

type Json = Record<string, unknown>;
const INIT = { jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'pipe', version: '0' } } };
const INITIALIZED = { jsonrpc: '2.0', method: 'notifications/initialized' };

/** Writes `lines` to a fresh `govern mcp` and closes stdin; its exit code, stdout as JSON lines, and stderr. */
function pipe(root: string, lines: string[]): { status: number | null; replies: Json[]; stderr: string } {
  const r = spawnSync(process.execPath, [BIN, 'mcp', '--root', root, '--no-cache'], {
    input: lines.map((l) => `${l}\n`).join(''),
    encoding: 'utf8',
    timeout: HANG_GUARD_MS,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status, replies: r.stdout.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json), stderr: r.stderr };
}

const error = (id: string | number | null, code: number, message: unknown) => ({ jsonrpc: '2.0', id, error: { code, message } });

describe('govern mcp: oversized messages', () => {
  test('an 11 MiB request from the SDK client is refused with a JSON-RPC error naming the limit; pings and calls still work', async () => {
    const { client, stderr } = await connectMcp(tempRoot());
    const huge = 'x'.repeat(11 * 1024 * 1024);
    const refused = await client.callTool({ name: 'item', arguments: { id: huge } }, undefined, { timeout: HANG_GUARD_MS }).then(
      () => null,
      (e: unknown) => e,
    );
    expect(refused).toBeInstanceOf(McpError);
    expect((refused as McpError).code).toBe(-32600);
    expect((refused as McpError).message).toMatch(/exceeds the limit of 10485760 bytes \(10 MiB\)/);
    expect((refused as McpError).data).toEqual({ limit: LIMIT, size: expect.any(Number) });
    expect(await client.ping({ timeout: HANG_GUARD_MS })).toEqual({});
    const item = (await client.callTool({ name: 'item', arguments: { id: 'AB-01' } }, undefined, { timeout: HANG_GUARD_MS })) as CallToolResult;
    expect(item.structuredContent).toMatchObject({ node: { id: 'AB-01' } });
    expect(stderr()).toMatch(/govern mcp: refused a message \(id \d+\): Request too large: the message of \d+ bytes exceeds the limit/);
  });

  test('a 9 MB reason is refused by the input schema with the 2000-character limit; nothing is written or logged', async () => {
    const root = tempRoot();
    const { client } = await connectMcp(root);
    const reason = 'r'.repeat(9_000_000);
    for (const [name, args] of [
      ['set_status', { id: 'AB-01', status: 'blocked', reason }],
      ['close', { id: 'AB-01', reason }],
    ] as const) {
      const r = (await client.callTool({ name, arguments: args }, undefined, { timeout: HANG_GUARD_MS })) as CallToolResult;
      expect(r.isError).toBe(true);
      const err = (r.structuredContent as { error: { code: string; message: string } }).error;
      expect(err.code).toBe('invalid-arguments');
      expect(err.message).toMatch(/reason/);
      expect(err.message).toMatch(/2000/);
      expect(err.message.length).toBeLessThan(2_000);
    }
    expect(fs.readFileSync(path.join(root, 'trackers/t.md'), 'utf8')).toBe(CLOSABLE_TRACKER);
    expect(fs.existsSync(path.join(root, 'ops'))).toBe(false);
    const tools = (await client.listTools()).tools;
    for (const name of ['set_status', 'close']) {
      expect(tools.find((t) => t.name === name)!.inputSchema.properties!.reason).toMatchObject({ type: 'string', maxLength: 2000 });
    }
  });
});

describe('govern mcp: malformed messages over raw stdin', () => {
  test('parse errors, a message without method, a batch and oversized lines each get one JSON-RPC error; the session goes on', () => {
    const root = tempRoot();
    const big = 'y'.repeat(LIMIT + 1024 * 1024);
    // The SDK puts the id last, after params that may hold an `id` of their own.
    const oversizedCall = `{"jsonrpc":"2.0","method":"tools/call","params":{"name":"item","arguments":{"id":"${big}"}},"id":4}`;
    const r = pipe(root, [
      JSON.stringify(INIT),
      JSON.stringify(INITIALIZED),
      '{"jsonrpc":"2.0","id":2,"method":"ping"',
      '',
      JSON.stringify({ jsonrpc: '2.0', id: 3 }),
      JSON.stringify([{ jsonrpc: '2.0', id: 30, method: 'ping' }]),
      oversizedCall,
      big,
      JSON.stringify({ jsonrpc: '2.0', id: 5, method: 'ping' }),
      JSON.stringify({ id: 6, method: 'ping' }),
      JSON.stringify({ jsonrpc: '2.0', id: 7, method: 'tools/list' }),
    ]);
    expect(r.status).toBe(0);
    const byId = (id: unknown) => r.replies.filter((x) => x.id === id);
    expect(r.replies).toHaveLength(9);
    expect(byId(1)[0]).toMatchObject({ result: { serverInfo: { name: 'govern' } } });
    expect(byId(null)).toEqual([
      error(null, -32700, 'Parse error: the message is not valid JSON'),
      error(null, -32600, 'Invalid Request: JSON-RPC batches are not supported; send one message per line'),
      {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32600, message: expect.stringMatching(/^Request too large: the message of \d+ bytes exceeds the limit of 10485760 bytes \(10 MiB\)/), data: { limit: LIMIT, size: big.length } },
      },
    ]);
    expect(byId(3)).toEqual([error(3, -32600, 'Invalid Request: a request needs a method (a string)')]);
    expect(byId(4)).toEqual([
      { jsonrpc: '2.0', id: 4, error: { code: -32600, message: expect.stringMatching(/exceeds the limit of 10485760 bytes/), data: { limit: LIMIT, size: oversizedCall.length } } },
    ]);
    expect(byId(5)).toEqual([{ jsonrpc: '2.0', id: 5, result: {} }]);
    expect(byId(6)).toEqual([error(6, -32600, 'Invalid Request: jsonrpc must be "2.0"')]);
    expect((byId(7)[0]!.result as { tools: unknown[] }).tools.length).toBeGreaterThan(0);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('govern mcp: refused'))).toHaveLength(6);
  });

  test('a line split across many writes, with CRLF, is one message; a slow oversized line is discarded as it comes', async () => {
    const root = tempRoot();
    const p = spawn(process.execPath, [BIN, 'mcp', '--root', root, '--no-cache'], { stdio: ['pipe', 'pipe', 'pipe'] });
    p.stdin.on('error', () => undefined); // an exit before the last write shows in the assertions
    let out = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    const exited = new Promise<number | null>((resolve) => p.on('exit', (code) => resolve(code)));
    const write = (s: string | Uint8Array) => new Promise<void>((resolve) => (p.stdin.write(s) ? resolve() : p.stdin.once('drain', resolve)));
    const replies = () => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json);
    const until = async (n: number) => {
      while (replies().length < n) await new Promise((r) => setTimeout(r, 5));
    };
    await write(`${JSON.stringify(INIT)}\r\n${JSON.stringify(INITIALIZED)}\r\n`);
    const ping = JSON.stringify({ jsonrpc: '2.0', id: 'é-2', method: 'ping' });
    const bytes = Buffer.from(`${ping}\r\n`);
    for (let i = 0; i < bytes.length; i++) await write(bytes.subarray(i, i + 1));
    await until(2);
    // 11 MiB in 1 MiB writes, the id first this time.
    const head = '{"jsonrpc":"2.0","id":"big","method":"ping","params":{"x":"';
    await write(head);
    const mib = 'z'.repeat(1024 * 1024);
    for (let i = 0; i < 11; i++) await write(mib);
    await write('"}}\n');
    await write(`${JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'ping' })}\n`);
    await until(4);
    p.stdin.end();
    expect(await exited).toBe(0);
    const r = replies();
    expect(r.slice(1)).toEqual([
      { jsonrpc: '2.0', id: 'é-2', result: {} },
      { jsonrpc: '2.0', id: 'big', error: { code: -32600, message: expect.stringMatching(/exceeds the limit/), data: { limit: LIMIT, size: head.length + 11 * 1024 * 1024 + 3 } } },
      { jsonrpc: '2.0', id: 9, result: {} },
    ]);
  });
});
