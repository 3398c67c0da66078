import { InvalidArgumentError } from 'commander';
import { startHttpService, UnsafeBindError } from '@govern/http-service';
import { describe, expect, test } from 'vitest';
import { UsageError } from '../context.js';
import { portOption, serveService } from './serve-service.js';

// The start-up `govern serve` and `govern statehub serve` share, with real servers on
// 127.0.0.1 (the signal path is runService's, tested with a child process in
// @govern/http-service; the bundled `statehub serve` is stopped by SIGTERM in statehub.test.ts).

function context() {
  let err = '';
  return { ctx: { cwd: process.cwd(), stdout: { write: () => true }, stderr: { write: (s: string) => (err += s) }, env: {} }, err: () => err };
}
const start = (port = 0) => startHttpService({ host: '127.0.0.1', port, handler: (_req, res) => void res.end('ok') }).then((s) => ({ ...s, close: () => s.stop() }));
const never = () => false;

describe('serveService', () => {
  test('ready, then stop: the stopped line and exit 0', async () => {
    const { ctx, err } = context();
    let answer = '';
    const code = await serveService(ctx, {
      name: 'demo',
      start: () => start(),
      ready: async (s) => {
        answer = await (await fetch(s.url)).text();
        ctx.stderr.write('listening\n');
      },
      stoppedLine: 'govern demo: stopped',
      stop: Promise.resolve(),
      usage: never,
    });
    expect({ code, answer, err: err() }).toEqual({ code: 0, answer: 'ok', err: 'listening\ngovern demo: stopped\n' });
  });

  test('an address in use: `govern: <name>: <message>` and exit 1, ready never runs', async () => {
    const taken = await start();
    const { ctx, err } = context();
    try {
      const code = await serveService(ctx, { name: 'demo', start: () => start(taken.port), ready: () => void ctx.stderr.write('ready\n'), stoppedLine: 'stopped', usage: never });
      expect({ code, err: err() }).toEqual({ code: 1, err: `govern: demo: listen EADDRINUSE: address already in use 127.0.0.1:${taken.port}\n` });
    } finally {
      await taken.close();
    }
  });

  test('a refusal the caller names as usage (an unsafe bind) is a usage error (exit 2); any other error is thrown as it is', async () => {
    const { ctx, err } = context();
    const unsafe = new UnsafeBindError('refusing 0.0.0.0 without a token', { host: '0.0.0.0', tokenBytes: null, minTokenBytes: 32 });
    const run = (e: Error) => serveService(ctx, { name: 'demo', start: () => Promise.reject(e), ready: () => {}, stoppedLine: 'stopped', usage: (x) => x === unsafe });
    const usage = await run(unsafe).catch((e: unknown) => e);
    expect(usage instanceof UsageError && { code: usage.code, message: usage.message }).toEqual({ code: 'usage', message: 'refusing 0.0.0.0 without a token' });
    const bug = new Error('bug');
    await expect(run(bug)).rejects.toBe(bug);
    expect(err()).toBe('');
  });
});

describe('portOption', () => {
  test('0 to 65535; anything else is the option error', () => {
    expect(['0', '4870', '65535'].map(portOption)).toEqual([0, 4870, 65535]);
    for (const bad of ['-1', '65536', '1.5', 'http']) expect(() => portOption(bad)).toThrow(new InvalidArgumentError('expected a port number (0-65535; 0 picks a free one)'));
  });
});
