import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureFreshBundle, tempRoot } from './support.js';

// The bundled `govern` binary exporting its spans to a real OTLP/HTTP endpoint on
// loopback (libs/telemetry), and what that costs when the endpoint fails.



beforeAll(ensureFreshBundle, 120_000);

const tempDir = (files: Record<string, string> = {}) => tempRoot(files, 'govern-otel-');

const TRACKER = ['# Tracker', '', '| Order | Milestone | Depends On | Status |', '|---|---|---|---|', '| 1 | AB-01 One | - | In Progress |', '| 2 | AB-02 Two | AB-01 | Planned |', ''].join('\n');
const CONFIG = ['gates:', '  memory-store:', '    requires: [AB-01]', '    project: libs/memory-store', ''].join('\n');

interface Receiver {
  url: string;
  requests: { contentType: string | undefined; body: Buffer }[];
  close(): Promise<void>;
}
const servers: Receiver[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});
async function receiver(answer: 'ok' | 500 | 'hang' = 'ok'): Promise<Receiver> {
  const requests: Receiver['requests'] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      requests.push({ contentType: req.headers['content-type'], body: Buffer.concat(chunks) });
      if (answer !== 'hang') res.writeHead(answer === 'ok' ? 200 : 500, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const r: Receiver = {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  servers.push(r);
  return r;
}

function govern(cwd: string, args: string[], env: Record<string, string> = {}, nodeArgs: string[] = []): Promise<{ code: number; stdout: string; stderr: string; ms: number }> {
  const t0 = performance.now();
  const child = spawn(process.execPath, [...nodeArgs, BIN, ...args], { cwd, env: { PATH: process.env.PATH ?? '', HOME: cwd, GOVERN_ACTOR: 'otel-test', ...env } });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code: code ?? -1, stdout, stderr, ms: performance.now() - t0 })));
}

type Kv = { key: string; value: { stringValue?: string; intValue?: string | number } };
interface JsonSpan {
  name: string;
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  attributes: Kv[];
  events: { name: string; attributes: Kv[] }[];
}
function spansOf(r: Receiver): JsonSpan[] {
  return r.requests.flatMap((q) => {
    const body = JSON.parse(q.body.toString('utf8')) as { resourceSpans: { scopeSpans: { spans: JsonSpan[] }[] }[] };
    return body.resourceSpans.flatMap((rs) => rs.scopeSpans.flatMap((s) => s.spans));
  });
}
const attrs = (kvs: Kv[]) => Object.fromEntries(kvs.map((kv) => [kv.key, kv.value.stringValue ?? Number(kv.value.intValue)]));

describe('govern exports its stages over OTLP/HTTP when an endpoint is configured', () => {
  it('a refused status write: every stage span with the run attributes; the denial is a policy reason', async () => {
    const root = tempDir({ 'trackers/t.md': TRACKER, 'govern.config.yaml': CONFIG });
    const rx = await receiver();
    const r = await govern(root, ['task', 'set-status', 'AB-02', 'in_progress', '--no-cache'], { GOVERN_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('dependencies');
    expect(rx.requests.every((q) => q.contentType === 'application/json')).toBe(true);

    const spans = spansOf(rx);
    const names = new Set(spans.map((s) => s.name));
    expect([...names].sort()).toEqual(['govern.discover', 'govern.graph', 'govern.parse', 'govern.run', 'govern.write']);
    const run = spans.find((s) => s.name === 'govern.run')!;
    const runId = attrs(run.attributes)['govern.run.id'];
    expect(runId).toMatch(/^[0-9a-f-]{36}$/);
    for (const s of spans) {
      expect(attrs(s.attributes), s.name).toMatchObject({ 'govern.run.id': runId, 'govern.command': 'task set-status', 'govern.item.id': 'AB-02', 'govern.document.id': 't' });
      expect(s.traceId).toBe(run.traceId);
    }
    const write = spans.find((s) => s.name === 'govern.write')!;
    expect(attrs(write.attributes)).toMatchObject({ 'govern.stage': 'write', policy_reason_code: 'dependencies-not-done' });
    expect(attrs(write.attributes)).not.toHaveProperty('failure_reason_code');
    expect(write.events.map((e) => [e.name, attrs(e.attributes).policy_reason_code])).toEqual([['guard.denied', 'dependencies-not-done']]);
    expect(attrs(run.attributes)['govern.exit_code']).toBe(1);
  });

  it('a disabled gate (gates --require) is a guard denial on the run, with the gate stage', async () => {
    const root = tempDir({ 'trackers/t.md': TRACKER.replace('In Progress', 'Planned'), 'govern.config.yaml': CONFIG });
    const rx = await receiver();
    const r = await govern(root, ['gates', '--require', 'memory-store', '--no-cache'], { OTEL_EXPORTER_OTLP_ENDPOINT: rx.url, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' });
    expect(r.code).toBe(1);
    const spans = spansOf(rx);
    expect(spans.some((s) => s.name === 'govern.gate')).toBe(true);
    const run = spans.find((s) => s.name === 'govern.run')!;
    expect(attrs(run.attributes)).toMatchObject({ 'govern.command': 'gates', policy_reason_code: 'gate-disabled', 'govern.exit_code': 1 });
    expect(run.events.map((e) => e.name)).toEqual(['guard.denied']);
  });

  it('http/protobuf by default', async () => {
    const root = tempDir({ 'trackers/t.md': TRACKER });
    const rx = await receiver();
    const r = await govern(root, ['next', '--json', '--no-cache'], { GOVERN_OTLP_ENDPOINT: rx.url });
    expect(r.code).toBe(0);
    expect(rx.requests.length).toBeGreaterThan(0);
    expect(rx.requests.every((q) => q.contentType === 'application/x-protobuf')).toBe(true);
    expect(rx.requests[0]!.body.includes(Buffer.from('govern.run.id'))).toBe(true);
  });
});

describe('without an endpoint the SDK is not loaded', () => {
  // An ESM loader hook that logs every module URL the process loads.
  function hookDir(): { dir: string; log: string } {
    const dir = tempDir({
      'hooks.mjs': `import fs from 'node:fs';\nexport async function load(url, context, next) { fs.appendFileSync(process.env.LOAD_LOG, url + '\\n'); return next(url, context); }\n`,
      'register.mjs': `import { register } from 'node:module';\nregister('./hooks.mjs', import.meta.url);\n`,
    });
    return { dir, log: path.join(dir, 'loaded.txt') };
  }

  it('only a run with an endpoint loads the OpenTelemetry chunk', async () => {
    const root = tempDir({ 'trackers/t.md': TRACKER });
    const off = hookDir();
    const r0 = await govern(root, ['graph', '--json', '--no-cache'], { LOAD_LOG: off.log }, ['--import', path.join(off.dir, 'register.mjs')]);
    expect(r0.code).toBe(0);
    const loadedOff = fs.readFileSync(off.log, 'utf8');
    expect(loadedOff).toContain('/apps/cli/dist/main.js');
    expect(loadedOff).not.toMatch(/chunks\/sdk-/);

    const rx = await receiver();
    const on = hookDir();
    const r1 = await govern(root, ['graph', '--json', '--no-cache'], { LOAD_LOG: on.log, GOVERN_OTLP_ENDPOINT: rx.url }, ['--import', path.join(on.dir, 'register.mjs')]);
    expect(r1.code).toBe(0);
    expect(fs.readFileSync(on.log, 'utf8')).toMatch(/chunks\/sdk-/);
  });
});

describe('a collector that fails costs at most the flush timeout', () => {
  const FLUSH = 300;
  // Measured against the same command without telemetry. The slack covers loading
  // the SDK chunk (~100 ms idle) and scheduling on a loaded 2-core machine; the
  // exporter's own default timeout (10 s) would blow it.
  const SLACK = 2500;

  for (const mode of [500, 'down', 'hang'] as const) {
    it(`a collector that ${mode === 500 ? 'answers 500' : mode === 'down' ? 'is down' : 'never answers'}: exit code and output unchanged`, async () => {
      const root = tempDir({ 'trackers/t.md': TRACKER });
      const rx = await receiver(mode === 'down' ? 'ok' : mode);
      if (mode === 'down') await rx.close();
      const base = await govern(root, ['next', '--json', '--no-cache']);
      const r = await govern(root, ['next', '--json', '--no-cache'], { GOVERN_OTLP_ENDPOINT: rx.url, GOVERN_OTLP_FLUSH_TIMEOUT_MS: String(FLUSH) });
      expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual({ code: base.code, stdout: base.stdout, stderr: '' });
      expect(r.ms - base.ms).toBeLessThan(FLUSH + SLACK);
      if (mode !== 'down') expect(rx.requests.length).toBeGreaterThan(0);
    }, 30_000);
  }
});
