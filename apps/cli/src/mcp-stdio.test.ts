import { describe, expect, test } from 'vitest';

// `govern mcp`'s stdio framing in process: the line transport with a small limit. The
// cases that run the bundled binary over stdio are in apps/cli-e2e/src/mcp-stdio.test.ts.

type Json = Record<string, unknown>;

describe('LineTransport in process (a small limit)', () => {
  /** Feeds `input` (in one chunk, or byte by byte) to a transport limited to 64 bytes; what it passed on and what it answered. */
  async function run(input: string, opts: { byteByByte?: boolean } = {}) {
    const { PassThrough } = await import('node:stream');
    const { LineTransport } = await import('./mcp/stdio.js');
    const stdin = new PassThrough();
    const stdout = new PassThrough();
    let out = '';
    stdout.on('data', (d: Buffer) => (out += d.toString()));
    const t = new LineTransport(stdin, stdout, { maxMessageBytes: 64 });
    const messages: unknown[] = [];
    const errors: string[] = [];
    t.onmessage = (m) => void messages.push(m);
    t.onerror = (e) => void errors.push(e.message);
    await t.start();
    const bytes = Buffer.from(input);
    if (opts.byteByByte) for (let i = 0; i < bytes.length; i++) stdin.write(bytes.subarray(i, i + 1));
    else stdin.write(bytes);
    await new Promise((r) => setImmediate(r));
    await t.close();
    return { messages, replies: out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as Json), errors };
  }
  const pad = 'p'.repeat(80);

  test('the top-level id of an oversized request, not one nested in its params; escapes in keys are read', async () => {
    for (const byteByByte of [false, true]) {
      const r = await run(
        [
          `{"jsonrpc":"2.0","method":"x","params":{"id":1,"a":["id",{"id":2}],"s":"${pad}"},"id":"top"}`,
          `{"jsonrpc":"2.0","\\u0069d":7,"method":"x","params":{"s":"${pad}\\"}"}}`,
          `{"jsonrpc":"2.0","id":-12,"method":"x","params":{"s":"${pad}"}}`,
          `{"jsonrpc":"2.0","id":1.5,"method":"x","params":{"s":"${pad}"}}`,
          `{"jsonrpc":"2.0","id":null,"method":"x","params":{"s":"${pad}"}}`,
          `{"jsonrpc":"2.0","id":{"n":3},"method":"x","params":{"s":"${pad}"}}`,
          // A response (no method): its id is one of the server's requests, never answered.
          `{"jsonrpc":"2.0","id":5,"result":{"s":"${pad}"}}`,
          `{"jsonrpc":"2.0","method":"notifications/x","params":{"s":"${pad}"}}`,
          '{"jsonrpc":"2.0","id":8,"method":"ping"}',
          '',
        ].join('\n'),
        { byteByByte },
      );
      expect(r.replies.map((x) => [x.id, (x.error as { code: number }).code, (x.error as { data: { size: number } }).data.size > 64])).toEqual([
        ['top', -32600, true],
        [7, -32600, true],
        [-12, -32600, true],
        [null, -32600, true],
        [null, -32600, true],
        [null, -32600, true],
        [null, -32600, true],
        [null, -32600, true],
      ]);
      expect((r.replies[0]!.error as { message: string }).message).toMatch(/^Request too large: the message of \d+ bytes exceeds the limit of 64 bytes; it was discarded$/);
      expect(r.messages).toEqual([{ jsonrpc: '2.0', id: 8, method: 'ping' }]);
      expect(r.errors).toHaveLength(8);
    }
  });

  test('invalid messages: a malformed response is answered with id null, a bad id is not echoed', async () => {
    const r = await run(
      [
        '{"jsonrpc":"2.0","id":3,"result":1}',
        '{"jsonrpc":"2.0","id":true,"method":"ping"}',
        '{"jsonrpc":"2.0","id":4,"method":"ping","params":[1]}',
        '"ping"',
        '  ',
        '{"jsonrpc":"2.0","id":5,"result":{}}',
        '',
      ].join('\r\n'),
    );
    expect(r.replies).toEqual([
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request: not a valid JSON-RPC response' } },
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request: id must be a string or an integer' } },
      { jsonrpc: '2.0', id: 4, error: { code: -32600, message: 'Invalid Request: params must be an object' } },
      { jsonrpc: '2.0', id: null, error: { code: -32600, message: 'Invalid Request: a message must be a JSON object' } },
    ]);
    expect(r.messages).toEqual([{ jsonrpc: '2.0', id: 5, result: {} }]);
  });
});
