import http from 'node:http';
import net from 'node:net';
import { GovernError, isGovernError } from '@govern/errors';
import { afterEach, describe, expect, test } from 'vitest';
import {
  assertSafeBind,
  bearerAuth,
  HttpError,
  PayloadTooLargeError,
  readBody,
  sendError,
  sendJson,
  startHttpService,
  UnsafeBindError,
  type HttpService,
  type HttpServiceOptions,
} from './index.js';

// A real server on 127.0.0.1, port 0.

const started: HttpService[] = [];
afterEach(async () => {
  await Promise.all(started.splice(0).map((s) => s.stop()));
});

async function serve(handler: HttpServiceOptions['handler'], extra: Partial<HttpServiceOptions> = {}): Promise<HttpService> {
  const s = await startHttpService({ host: '127.0.0.1', port: 0, handler, ...extra });
  started.push(s);
  return s;
}

/** One request over `agent` (a kept-alive one, by default a fresh one), answered as status, headers and JSON body. */
function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: Buffer | string; agent?: http.Agent } = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: unknown }> {
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: opts.method ?? 'GET', headers: opts.headers ?? {}, ...(opts.agent ? { agent: opts.agent } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body: text ? JSON.parse(text) : null });
      });
    });
    req.on('error', reject);
    req.end(opts.body);
  });
}

const TOKEN = 'k'.repeat(40);

describe('bearer auth', () => {
  const auth = bearerAuth(TOKEN)!;
  const guarded = () =>
    serve((req, res) => {
      if (!auth(req)) return sendError(res, new HttpError('unauthorized', 'send Authorization: Bearer <token>'), { headers: { 'www-authenticate': 'Bearer realm="test"' } });
      sendJson(res, 200, { ok: true });
    });

  test('accepts the token (any case of "Bearer", blanks around it); refuses none, another, a prefix, a longer one and Basic with 401 and the envelope', async () => {
    const s = await guarded();
    const refused = { status: 401, body: { error: { code: 'unauthorized', message: 'send Authorization: Bearer <token>', details: {} } } };
    const cases: Array<[string | undefined, number]> = [
      [`Bearer ${TOKEN}`, 200],
      [`bearer   ${TOKEN}  `, 200],
      [undefined, 401],
      ['Bearer nope', 401],
      [`Bearer ${TOKEN.slice(0, -1)}`, 401],
      [`Bearer ${TOKEN}x`, 401],
      [`Basic ${Buffer.from(`x:${TOKEN}`).toString('base64')}`, 401],
      [TOKEN, 401],
    ];
    for (const [authorization, status] of cases) {
      const r = await request(s.url, { headers: authorization ? { authorization } : {} });
      if (status === 200) expect(r).toMatchObject({ status: 200, body: { ok: true } });
      else {
        expect({ status: r.status, body: r.body }).toEqual(refused);
        expect(r.headers['www-authenticate']).toBe('Bearer realm="test"');
      }
    }
  });

  test('no token, no check', () => {
    expect([bearerAuth(undefined), bearerAuth(''), bearerAuth('   ')]).toEqual([null, null, null]);
  });
});

describe('bind safety', () => {
  test('a non-loopback bind without a token, or with one under 32 bytes, is refused with a typed error naming the length, never the token', () => {
    const refusal = (host: string, token?: string) => {
      try {
        assertSafeBind(host, token, { service: 'Test' });
        return null;
      } catch (e) {
        return e;
      }
    };
    const none = refusal('0.0.0.0');
    expect(none).toBeInstanceOf(UnsafeBindError);
    expect(none).toBeInstanceOf(GovernError);
    expect((none as UnsafeBindError).toJSON()).toEqual({
      code: 'unsafe-bind',
      message: 'refusing to listen on 0.0.0.0 without a token: a non-loopback Test needs --token-env (an environment variable holding the bearer token)',
      details: { host: '0.0.0.0', tokenBytes: null, minTokenBytes: 32 },
    });
    expect((none as UnsafeBindError).exitCode).toBe(2);
    expect((refusal('10.0.0.1', '   ') as UnsafeBindError).code).toBe('unsafe-bind');
    const short = 'secret-but-thirty-one-bytes-lon';
    const e = refusal('::', short) as UnsafeBindError;
    expect(e.toJSON()).toEqual({
      code: 'unsafe-bind',
      message: 'refusing to listen on :: with a 31-byte token: a non-loopback Test needs a token of at least 32 bytes (e.g. openssl rand -hex 32)',
      details: { host: '::', tokenBytes: 31, minTokenBytes: 32 },
    });
    expect(JSON.stringify(e.toJSON())).not.toContain(short);
    // 32 bytes are enough (counted in UTF-8: 16 two-byte characters are 32 bytes); loopback takes any token or none.
    expect([refusal('0.0.0.0', 'x'.repeat(32)), refusal('0.0.0.0', 'é'.repeat(16)), refusal('127.0.0.1'), refusal('::1', 'x'), refusal('localhost')]).toEqual([null, null, null, null, null]);
    expect(refusal('0.0.0.0', 'é'.repeat(15))).toBeInstanceOf(UnsafeBindError);
  });
});

describe('bodies', () => {
  const echo = (limit: number) =>
    serve(async (req, res) => {
      const body = await readBody(req, { limit });
      sendJson(res, 200, { bytes: body.length, text: body.toString('utf8') });
    });

  test('up to the limit the body is read; over it, 413 with the envelope, and the connection serves the next request', async () => {
    const s = await echo(16);
    expect((await request(s.url, { method: 'POST', body: 'x'.repeat(16) })).body).toEqual({ bytes: 16, text: 'x'.repeat(16) });
    const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    try {
      const over = await request(s.url, { method: 'POST', body: Buffer.alloc(100_000, 1), agent });
      expect({ status: over.status, body: over.body }).toEqual({ status: 413, body: { error: { code: 'payload-too-large', message: 'body exceeds 16 bytes', details: { max: 16 } } } });
      expect((await request(s.url, { method: 'POST', body: 'ok', agent })).body).toEqual({ bytes: 2, text: 'ok' });
    } finally {
      agent.destroy();
    }
  });

  test('a client that goes away mid-body rejects the read (nothing hangs); one too slow gets 408 and the connection closed', async () => {
    let aborted: Promise<unknown> | null = null;
    const s = await serve(async (req, res) => {
      if (req.url === '/slow') {
        const body = await readBody(req, { limit: 1000, timeoutMs: 200 });
        return sendJson(res, 200, { bytes: body.length });
      }
      aborted = readBody(req, { limit: 1000 }).then(
        () => 'resolved',
        (e: unknown) => e,
      );
      await aborted;
      res.destroy();
    });
    const { port } = s;
    // Aborted: headers announce 500 bytes, 10 arrive, the socket closes.
    await new Promise<void>((resolve) => {
      const sock = net.connect(port, '127.0.0.1', () => {
        sock.write('POST /x HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n0123456789');
        setTimeout(() => sock.destroy(), 50);
      });
      sock.on('close', () => resolve());
    });
    await expect.poll(() => aborted, { timeout: 2000 }).not.toBeNull();
    const e = await aborted!;
    expect([isGovernError(e), (e as HttpError).code, (e as HttpError).status]).toEqual([true, 'request-aborted', 400]);

    // Slow: 10 of 500 bytes, then nothing.
    const answer = await new Promise<string>((resolve) => {
      let text = '';
      const sock = net.connect(port, '127.0.0.1', () => sock.write('POST /slow HTTP/1.1\r\nHost: x\r\nContent-Length: 500\r\n\r\n0123456789'));
      sock.on('data', (c: Buffer) => (text += c.toString('utf8')));
      sock.on('close', () => resolve(text));
    });
    expect(answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(answer.toLowerCase()).toContain('connection: close');
    expect(JSON.parse(answer.slice(answer.indexOf('\r\n\r\n') + 4))).toEqual({
      error: { code: 'request-timeout', message: 'the request body did not arrive within 200 ms', details: { timeoutMs: 200 } },
    });
  });
});

describe('the error envelope', () => {
  class Refusal extends GovernError<'version-conflict'> {}
  const errors: Record<string, unknown> = {
    '/http': new HttpError('precondition-required', 'say which version', { details: { field: 'ifVersion' } }),
    '/status': new HttpError('teapot', 'short and stout', { status: 418 }),
    '/coded': new Refusal('version-conflict', 'at version 3', { details: { version: 3 } }),
    '/unmapped': new GovernError('no-such-code', 'unmapped'),
    '/bug': new TypeError('x is undefined'),
    '/string': 'thrown string',
  };

  test('every thrown value becomes { error: { code, message, details } } with the status of its code (500 unless it is a mapped refusal)', async () => {
    const s = await serve(async (req) => {
      throw errors[req.url!];
    });
    const got: Record<string, unknown> = {};
    for (const p of Object.keys(errors)) {
      const r = await request(`${s.url}${p}`);
      got[p] = [r.status, r.headers['content-type'], r.body];
    }
    const json = 'application/json; charset=utf-8';
    expect(got).toEqual({
      '/http': [428, json, { error: { code: 'precondition-required', message: 'say which version', details: { field: 'ifVersion' } } }],
      '/status': [418, json, { error: { code: 'teapot', message: 'short and stout', details: {} } }],
      '/coded': [409, json, { error: { code: 'version-conflict', message: 'at version 3', details: { version: 3 } } }],
      '/unmapped': [500, json, { error: { code: 'no-such-code', message: 'unmapped', details: {} } }],
      '/bug': [500, json, { error: { code: 'internal-error', message: 'x is undefined', details: {} } }],
      '/string': [500, json, { error: { code: 'internal-error', message: 'thrown string', details: {} } }],
    });
  });

  test('extra fields go beside error, and cannot replace it', async () => {
    const s = await serve((_req, res) => sendError(res, new HttpError('version-conflict', 'stale'), { extra: { current: { version: 4 }, error: 'ignored' } }));
    const r = await request(s.url);
    expect([r.status, r.body]).toEqual([409, { error: { code: 'version-conflict', message: 'stale', details: {} }, current: { version: 4 } }]);
  });

  test('the kernel\'s own errors are GovernErrors', () => {
    expect([new PayloadTooLargeError(1), new HttpError('x', 'y'), new UnsafeBindError('m', { host: 'h', tokenBytes: null, minTokenBytes: 32 })].every((e) => e instanceof GovernError)).toBe(true);
  });
});

describe('stop', () => {
  /** A service whose /hold requests wait for `release()`; every other request is answered at once. */
  async function holding(extra: Partial<HttpServiceOptions> = {}) {
    let release!: () => void;
    const released = new Promise<void>((r) => (release = r));
    let arrived!: () => void;
    const holdArrived = new Promise<void>((r) => (arrived = r));
    const s = await serve(
      async (req, res) => {
        if (req.url === '/hold') {
          arrived();
          await released;
        }
        sendJson(res, 200, { ok: true });
      },
      { keepAliveTimeoutMs: 30_000, ...extra },
    );
    return { s, release, holdArrived };
  }

  test('an idle kept-alive client, and one whose request was in flight, do not hold the stop for the keep-alive timeout', async () => {
    const { s, release, holdArrived } = await holding();
    const idle = new http.Agent({ keepAlive: true });
    const busy = new http.Agent({ keepAlive: true });
    try {
      expect((await request(s.url, { agent: idle })).status).toBe(200);
      const held = request(`${s.url}/hold`, { agent: busy });
      await holdArrived;
      const t0 = performance.now();
      const stopped = s.stop();
      setTimeout(release, 50);
      expect((await held).status).toBe(200);
      await stopped;
      // keepAliveTimeout is 30 s: only closing connections as they go idle ends this quickly.
      expect(performance.now() - t0).toBeLessThan(3000);
    } finally {
      idle.destroy();
      busy.destroy();
    }
  });

  test('a request arriving on a kept-alive connection while stopping is answered by onStopping, or served with Connection: close', async () => {
    for (const onStopping of [undefined, (_req: http.IncomingMessage, res: http.ServerResponse) => sendError(res, new HttpError('unavailable', 'stopping'))]) {
      const { s, release, holdArrived } = await holding(onStopping ? { onStopping } : {});
      // Two sockets kept alive: one holds the stop open, the other sends a request during it.
      const agent = new http.Agent({ keepAlive: true, maxSockets: 2 });
      try {
        const held = request(`${s.url}/hold`, { agent });
        await holdArrived;
        const raw = net.connect(s.port, '127.0.0.1');
        await new Promise((r) => raw.once('connect', r));
        const stopped = s.stop();
        const answer = await new Promise<string>((resolve) => {
          let text = '';
          raw.on('data', (c: Buffer) => (text += c.toString('utf8')));
          raw.on('close', () => resolve(text));
          raw.write('GET /late HTTP/1.1\r\nHost: x\r\n\r\n');
        });
        expect(answer.toLowerCase()).toContain('connection: close');
        expect(answer).toMatch(onStopping ? /^HTTP\/1\.1 503 [\s\S]*"code":"unavailable"/ : /^HTTP\/1\.1 200 [\s\S]*\{"ok":true\}/);
        release();
        await held;
        await stopped;
      } finally {
        agent.destroy();
      }
    }
  });

  test('a request that never finishes is cut at the deadline', async () => {
    const { s, holdArrived } = await holding({ stopDeadlineMs: 200 });
    const held = request(`${s.url}/hold`).catch((e: unknown) => e);
    await holdArrived;
    const t0 = performance.now();
    await s.stop();
    expect(performance.now() - t0).toBeLessThan(3000);
    expect(await held).toBeInstanceOf(Error);
  });
});
