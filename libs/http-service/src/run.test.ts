import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundleChild } from '@govern/testkit';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { UnsafeBindError } from './errors.js';
import { isListenFailure, runService } from './run.js';
import { startHttpService, type HttpService } from './server.js';

// runService: the one start-up and stop of govern's long-running services
// (`govern serve`, `govern statehub serve`), with real servers on 127.0.0.1 and a
// real SIGTERM to a child process.

const start = (port = 0) => startHttpService({ host: '127.0.0.1', port, handler: (_req, res) => void res.end('ok') }).then((s: HttpService) => ({ ...s, close: () => s.stop() }));
const signalListeners = () => process.listenerCount('SIGINT') + process.listenerCount('SIGTERM');
const refused = (port: number) =>
  new Promise<boolean>((resolve) => {
    const c = net.connect(port, '127.0.0.1');
    c.once('connect', () => (c.destroy(), resolve(false)));
    c.once('error', () => resolve(true));
  });

describe('runService in process', () => {
  test('serves between ready and stop, then closes and removes its signal handlers', async () => {
    const before = signalListeners();
    let release!: () => void;
    const stop = new Promise<void>((r) => (release = r));
    const seen: string[] = [];
    const run = runService({
      start: () => start(),
      ready: async (s) => {
        seen.push(`ready ${signalListeners() - before}`);
        seen.push(await (await fetch(s.url)).text());
        release();
      },
      stop,
    });
    const result = await run;
    expect(result.status).toBe('stopped');
    expect({ seen, signal: 'signal' in result, listeners: signalListeners() - before }).toEqual({ seen: ['ready 2', 'ok'], signal: false, listeners: 0 });
    expect(await refused((result as { service: HttpService }).service.port)).toBe(true);
  });

  test('a port in use is unavailable (nothing thrown, nothing left listening); so is what `unavailable` names', async () => {
    const taken = await start();
    try {
      const result = await runService({ start: () => start(taken.port), ready: () => {} });
      expect(result.status === 'unavailable' && { code: (result.error as NodeJS.ErrnoException).code }).toEqual({ code: 'EADDRINUSE' });
      const locked = new Error('database is locked');
      expect(await runService({ start: () => Promise.reject(locked), ready: () => {}, unavailable: (e) => e === locked })).toEqual({ status: 'unavailable', error: locked });
    } finally {
      await taken.close();
    }
    expect([isListenFailure(Object.assign(new Error('x'), { code: 'EACCES' })), isListenFailure(new Error('x')), isListenFailure(null)]).toEqual([true, false, false]);
  });

  test('any other refusal of start (an unsafe bind) is thrown, and ready never runs', async () => {
    const before = signalListeners();
    const unsafe = new UnsafeBindError('no token', { host: '0.0.0.0', tokenBytes: null, minTokenBytes: 32 });
    let ready = false;
    await expect(runService({ start: () => Promise.reject(unsafe), ready: () => void (ready = true) })).rejects.toBe(unsafe);
    expect({ ready, listeners: signalListeners() - before }).toEqual({ ready: false, listeners: 0 });
  });

  test('a ready that throws still closes the service and removes the handlers', async () => {
    const before = signalListeners();
    let port = 0;
    await expect(
      runService({
        start: () => start(),
        ready: (s) => {
          port = s.port;
          throw new Error('cannot announce');
        },
      }),
    ).rejects.toThrow('cannot announce');
    expect({ refused: await refused(port), listeners: signalListeners() - before }).toEqual({ refused: true, listeners: 0 });
  });
});

describe('runService in a child process', () => {
  let tmp = '';
  let child = '';
  beforeAll(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'run-service-'));
    child = path.join(tmp, 'child.mjs');
    await bundleChild({ entryPoints: [fileURLToPath(new URL('./__fixtures__/run-child.ts', import.meta.url))], outfile: child });
  });
  afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

  test.each(['SIGTERM', 'SIGINT'] as const)('%s after the ready line: a clean stop, exit 0, the port released', async (signal) => {
    const p = spawn(process.execPath, [child], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stderr.on('data', (d: Buffer) => (err += d));
    const exited = new Promise<number | null>((resolve) => p.once('exit', (code) => resolve(code)));
    const ready = await new Promise<{ ready: string }>((resolve, reject) => {
      p.stdout.on('data', (d: Buffer) => {
        out += d;
        if (out.includes('\n')) resolve(JSON.parse(out.split('\n')[0]!));
      });
      p.once('exit', () => reject(new Error(`exited before ready: ${err}`)));
    });
    expect(await (await fetch(ready.ready)).text()).toBe('ok');
    p.kill(signal);
    expect({ code: await exited, lines: out.trim().split('\n').slice(1).map((l) => JSON.parse(l)), err }).toEqual({
      code: 0,
      lines: [{ status: 'stopped', signal, listeners: 0 }],
      err: '',
    });
    expect(await refused(Number(new URL(ready.ready).port))).toBe(true);
  });
});
