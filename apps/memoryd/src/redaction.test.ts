import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { SpanStatusCode } from '@opentelemetry/api';
import { OTLPTraceExporter as JsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as ProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, SimpleSpanProcessor, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { afterAll, describe, expect, it } from 'vitest';
import { startMemoryd } from './daemon.js';
import { storeWorkerScript, type StoreThreadMode } from './testing/daemon.js';

// Secrets sent by the real OpenTelemetry SDK and OTLP exporters (protobuf and JSON) must
// reach neither the spool nor the DuckDB file (nor its WAL). A control marker sent beside
// them must be found in each, so the byte searches are known to work.

const dirs: string[] = [];
afterAll(() => {
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});

// Made-up credentials of the real shapes.
const SECRETS = {
  ghp: 'ghp_R3dact3dT0kenF0rTh3M3m0ryT3st5xYz12',
  pat: 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS',
  jwt: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtZW1vcnlkIn0.c2lnbmF0dXJlLW9mLXRoZS10ZXN0',
  awsKeyId: 'AKIAIOSFODNN7EXAMPLE',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  email: 'jane.doe@example.org',
  slack: 'xoxb-123456789012-abcdefghijkl',
  deployKey: 'plain-value-under-a-configured-key',
};
const MARKER = 'control-marker-7f3a9c';

/** Every file under `dir`, concatenated. */
function bytesUnder(dir: string): Buffer {
  const out: Buffer[] = [];
  for (const e of fs.readdirSync(dir, { withFileTypes: true, recursive: true })) if (e.isFile()) out.push(fs.readFileSync(path.join(e.parentPath, e.name)));
  return Buffer.concat(out);
}
function leaked(buf: Buffer): string[] {
  return Object.entries(SECRETS)
    .filter(([, s]) => buf.includes(s))
    .map(([k]) => k);
}

async function send(exporter: SpanExporter, run: string): Promise<void> {
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes({ 'service.name': 'govern', 'process.command_args': ['node', 'govern', 'pr', 'open', '--token', SECRETS.ghp] }),
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  const tracer = provider.getTracer('govern', '0.1.0');
  const span = tracer.startSpan(`push for ${SECRETS.email}`, {
    attributes: {
      'govern.run.id': run,
      'govern.stage': 'pr',
      'http.request.header.authorization': `Bearer ${SECRETS.jwt}`,
      'git.remote': `https://x-access-token:${SECRETS.ghp}@github.com/o/r`,
      'aws.note': `key ${SECRETS.awsKeyId} aws_secret_access_key=${SECRETS.awsSecret}`,
      'github.pat': SECRETS.pat,
      'deploy.key': SECRETS.deployKey,
      marker: MARKER,
    },
  });
  span.addEvent('exception', { 'exception.message': `slack said no to ${SECRETS.slack}` });
  span.setStatus({ code: SpanStatusCode.ERROR, message: `401 with ${SECRETS.ghp}` });
  span.end();
  await provider.forceFlush();
  await provider.shutdown();
}

describe.each<StoreThreadMode>(['worker', 'main'])('redaction before anything is persisted (store in the %s thread)', (mode) => {
  it('no secret from either exporter reaches the spool, the WAL or the DuckDB file; the facts keep the rest', async () => {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'memoryd-redact-'));
    dirs.push(dir);
    const db = path.join(dir, 'memory.duckdb');
    const d = await startMemoryd({ db, port: 0, redactKeys: ['deploy.key'] }, mode === 'worker' ? { storeWorker: storeWorkerScript() } : {});
    try {
      await send(new ProtobufTraceExporter({ url: `${d.url}/v1/traces` }), 'run-proto');
      await send(new JsonTraceExporter({ url: `${d.url}/v1/traces` }), 'run-json');
      await d.idle();
      expect(d.status().checkpoint).toMatchObject({ lastSeq: 2, spans: 2 });

      const spool = bytesUnder(d.config.spoolDir);
      expect(spool.includes(MARKER)).toBe(true);
      expect(leaked(spool)).toEqual([]);
      const wal = fs.readFileSync(`${db}.wal`);
      expect(wal.includes(MARKER)).toBe(true);
      expect(leaked(wal)).toEqual([]);

      const rows = await d.store.all("SELECT run_id, name, status_message, attributes, resource_volatile FROM task_facts ORDER BY run_id");
      expect(rows.map((r) => [r.run_id, r.name, r.status_message])).toEqual([
        ['run-json', 'push for [REDACTED:email]', '401 with [REDACTED:github-token]'],
        ['run-proto', 'push for [REDACTED:email]', '401 with [REDACTED:github-token]'],
      ]);
      expect(JSON.parse(rows[0]!.attributes as string)).toEqual({
        'aws.note': 'key [REDACTED:aws-access-key-id] aws_secret_access_key=[REDACTED:aws-secret-access-key]',
        'deploy.key': '[REDACTED]',
        'git.remote': 'https://[REDACTED:credentials]@github.com/o/r',
        'github.pat': '[REDACTED:github-token]',
        'http.request.header.authorization': '[REDACTED]',
        marker: MARKER,
      });
      expect(JSON.parse(rows[1]!.resource_volatile as string)).toEqual({ 'process.command_args': '[REDACTED]' });
      expect(await d.store.all('SELECT attributes FROM event_facts')).toEqual([
        { attributes: '{"exception.message":"slack said no to [REDACTED:slack-token]"}' },
        { attributes: '{"exception.message":"slack said no to [REDACTED:slack-token]"}' },
      ]);
      expect((await d.health()).redaction.valuesRedacted).toBe(2 * 9);
    } finally {
      await d.stop();
    }
    // Checkpointed into the file on stop.
    const file = fs.readFileSync(db);
    expect(file.includes(MARKER)).toBe(true);
    expect(leaked(file)).toEqual([]);
  }, 30_000);
});
