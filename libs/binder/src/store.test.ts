import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { bundleChild } from '@govern/testkit';
import { canonicalJson, type WrapperEnvelope } from '@govern/contracts';
import { checksum, openDb } from '@govern/duckdb';
import { isGovernError } from '@govern/errors';
import { DEFAULT_BINDER_CONFIG, type BinderConfig } from './config.js';
import { BinderError } from './errors.js';
import { fingerprintHash } from './fingerprint.js';
import { idempotencyKey, upsertKey } from './keys.js';
import { MIGRATIONS } from './migrations.js';
import { canonicalText, FACT_COLUMNS, factRow, isWellFormedJson, openBinder, type Binder, type IngestResult, type OpenBinderOptions } from './store.js';
import { checkEnvelope, parseEnvelopeText } from './validate.js';

const dirs: string[] = [];
const open: Binder[] = [];
afterAll(async () => {
  for (const b of open.splice(0)) await b.close().catch(() => undefined);
  for (const d of dirs) fs.rmSync(d, { recursive: true, force: true });
});
function dbFile(): string {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), 'binder-store-'));
  dirs.push(d);
  return path.join(d, 'binder.duckdb');
}

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
const NOW = new Date('2026-02-16T00:00:00.000Z');
const T0 = Date.parse('2026-02-15T10:00:00.000Z');
async function binder(over: Partial<OpenBinderOptions> & { rollout?: BinderConfig['rollout']; fallback?: BinderConfig['fallback'] } = {}): Promise<Binder> {
  const { rollout, fallback, ...rest } = over;
  const config: BinderConfig = { ...DEFAULT_BINDER_CONFIG, ...(rollout ? { rollout } : {}), ...(fallback ? { fallback } : {}) };
  const b = await openBinder({ file: dbFile(), config, now: () => NOW, knownSecrets: [], ...rest });
  open.push(b);
  return b;
}

type Raw = Record<string, unknown>;
/** Envelope n: a failure of one task (one TaskSpec, one context) in run n, observed n seconds after T0. */
function envelope(n: number, over: Raw = {}): Raw {
  return {
    schema: 'govern.wrapper-envelope/v1',
    event_id: `ev-${n}`,
    sequence: n,
    run_id: `run-${n}`,
    task_id: 'GV-05-T01',
    group_id: 'attempt-1',
    signal: 'failure',
    wrapper_policy: { name: 'govern-wrap', version: '1.2.0' },
    task_spec: { scope: 'repo:govern/libs/binder', target: { kind: 'file', id: 'src/store.ts' }, action: { kind: 'edit' }, failure_reason_code: 'check-failed' },
    policy_reason_code: null,
    context: { gates: ['unit', 'lint'], versions: { node: '20.19.2' }, env: { CI: 'true' } },
    evidence: [{ kind: 'log', ref: `ci/run-${n}.log` }],
    observed_at: new Date(T0 + n * 1000).toISOString(),
    ...over,
  };
}
const parsed = (raw: unknown): WrapperEnvelope => {
  const c = checkEnvelope(raw);
  if (!c.ok) throw new Error(JSON.stringify(c.reasons));
  return c.envelope;
};
const ikey = (raw: unknown) => idempotencyKey(parsed(raw)).hash;
const ukey = (raw: unknown) => {
  const e = parsed(raw);
  return upsertKey(e, fingerprintHash(e)).hash;
};
const sha256 = (s: string) => createHash('sha256').update(s).digest('hex');
/** The same value with every object's keys in reverse order (another serialization of the same envelope). */
function reorder(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(reorder);
  if (v && typeof v === 'object') return Object.fromEntries(Object.keys(v).reverse().map((k) => [k, reorder((v as Raw)[k])]));
  return v;
}
const noCapsules = { created: 0, updated: 0, minted: 0 };

describe('schema', () => {
  it('migrates once, records the checksum, and the staging columns are the table columns', async () => {
    const file = dbFile();
    const b = await openBinder({ file, now: () => NOW, knownSecrets: [] });
    await b.close();
    const again = await openBinder({ file, now: () => NOW, knownSecrets: [] });
    await again.close();
    const db = await openDb(file);
    const applied = await db.all('SELECT version, name, sha256 FROM schema_migrations ORDER BY version');
    const cols = await db.all("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'binder_envelopes' ORDER BY ordinal_position");
    await db.close();
    expect(applied).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name, sha256: checksum(m) })));
    expect(cols.map((c) => c.column_name)).toEqual(FACT_COLUMNS.map(([c]) => c));
  });

  it('refuses a file a newer build wrote, and a second open in this process, as coded BinderErrors', async () => {
    const file = dbFile();
    const b = await openBinder({ file, knownSecrets: [] });
    const locked = await openBinder({ file, knownSecrets: [] }).catch((e: unknown) => e);
    expect([locked instanceof BinderError, isGovernError(locked), (locked as BinderError).code]).toEqual([true, true, 'locked']);
    await b.close();
    const db = await openDb(file);
    await db.run("INSERT INTO schema_migrations VALUES (99, 'from the future', 'x', NULL)");
    await db.close();
    const newer = await openBinder({ file, knownSecrets: [] }).catch((e: unknown) => e);
    expect([newer instanceof BinderError, (newer as BinderError).code, (newer as BinderError).details.reason]).toEqual([true, 'schema', 'newer-schema']);
  });
});

describe('ingest', () => {
  it('stores a valid envelope as one fact row: its fields, keys, fingerprint and derivations, no ingest time', async () => {
    const b = await binder();
    const raw = envelope(1);
    expect(await b.ingest([raw], { source: 'test' })).toEqual({
      received: 1,
      accepted: 1,
      duplicates: 0,
      quarantined: 0,
      conflicts: 0,
      quarantineIds: [],
      capsules: { created: 1, updated: 0, minted: 1 },
      path: 'bind',
      ingestId: 1,
    });
    const e = parsed(raw);
    const fp = fingerprintHash(e);
    expect(await b.facts()).toEqual([
      {
        idempotency_key: idempotencyKey(e).hash,
        run_id: 'run-1',
        task_id: 'GV-05-T01',
        group_id: 'attempt-1',
        binder_version: 'binder/1',
        envelope_schema: 'govern.wrapper-envelope/v1',
        event_id: 'ev-1',
        sequence: 1,
        signal: 'failure',
        anomaly_trigger: null,
        wrapper_policy_name: 'govern-wrap',
        wrapper_policy_version: '1.2.0',
        scope: 'repo:govern/libs/binder',
        target_kind: 'file',
        target_id: 'src/store.ts',
        action_kind: 'edit',
        failure_reason_code: 'check-failed',
        policy_reason_code: null,
        context: '{"env":{"CI":"true"},"gates":["unit","lint"],"versions":{"node":"20.19.2"}}',
        evidence: '[{"kind":"log","ref":"ci/run-1.log"}]',
        observed_at: '2026-02-15T10:00:01.000Z',
        observed_ts: '2026-02-15T10:00:01.000Z',
        fingerprint_hash: fp,
        upsert_key: upsertKey(e, fp).hash,
        fallback_version: 'fallback/1',
        strict_derivation: 'support',
        strict_minting: true,
        hybrid_derivation: 'support',
        hybrid_minting: true,
        lenient_derivation: 'support',
        lenient_minting: true,
      },
    ]);
  });

  it('reports each step of binding a batch to the trace hook', async () => {
    const steps: string[] = [];
    const b = await binder({ trace: (phase, ms) => steps.push(`${phase}:${ms >= 0}`) });
    await b.ingest([envelope(1)], { source: 'test' });
    expect(steps).toEqual(['digest', 'validate', 'keys', 'stage', 'insert', 'compare', 'capsules', 'bookkeeping', 'bookkeeping', 'commit'].map((p) => `${p}:true`));
  });

  it("keeps only the last call's rows staged: DuckDB keeps what a DELETE removes from a temp table, so emptying it held every row ever staged", async () => {
    const b = await binder({ partSize: 8 });
    // The binder's own write connection (temp tables are per connection): its size estimate counts deleted rows too.
    const db = (b as unknown as { db: { all(sql: string): Promise<Array<Record<string, unknown>>> } }).db;
    const staged = async () => Number((await db.all("SELECT estimated_size FROM duckdb_tables() WHERE table_name = 'binder_stage'"))[0]!.estimated_size);
    const sizes: number[] = [];
    for (let call = 0; call < 3; call++) {
      const r = await b.ingest(Array.from({ length: 20 }, (_, n) => envelope(call * 100 + n)), { source: 'test' });
      expect(r.accepted).toBe(20);
      sizes.push(await staged());
    }
    expect(sizes).toEqual([20, 20, 20]);
  });

  it('stores the fact rows factRow gives when situations and kinds are staged once per call and joined back (parts of 8: situations and kinds new in later parts)', async () => {
    const b = await binder({ partSize: 8 });
    const SIGNALS = [{ signal: 'failure' }, { signal: 'success' }, { signal: 'anomaly', anomaly_trigger: 'timeout' }, { signal: 'anomaly', anomaly_trigger: 'slow' }, { signal: 'denial', policy_reason_code: 'gate-disabled' }];
    const records: Raw[] = Array.from({ length: 30 }, (_, n) =>
      envelope(n, {
        ...SIGNALS[n % 5],
        task_spec: { scope: 'repo:govern/libs/binder', target: { kind: 'file', id: n >= 24 ? 'only-in-part-4.ts' : `src/f${n % 7}.ts` }, action: { kind: 'edit' }, failure_reason_code: 'check-failed' },
        // An offset time: observed_ts is the same instant in UTC.
        ...(n % 11 === 0 ? { observed_at: '2026-02-15T12:00:01+02:00' } : {}),
      }),
    );
    // The legacy alias: validated by zod, not by the fast path.
    const legacy = envelope(99_999, { task_spec: { scope: 'repo:govern/libs/binder', target: { kind: 'file', id: 'src/f1.ts' }, action: { kind: 'edit' }, reason_code: 'check-failed' } });
    records.push(legacy);
    const r = await b.ingest(records, { source: 'test' });
    expect([r.accepted, r.duplicates, r.quarantined, r.capsules.created]).toEqual([31, 0, 0, 8]);
    const expected = records
      .map((raw) => {
        const c = checkEnvelope(raw);
        if (!c.ok) throw new Error('test envelope invalid');
        return factRow(c.envelope);
      })
      .sort((x, y) => (String(x.idempotency_key) < String(y.idempotency_key) ? -1 : 1));
    expect(await b.facts()).toEqual(expected);
    expect(expected.filter((f) => f.observed_at !== f.observed_ts).map((f) => f.observed_ts)).toEqual(['2026-02-15T10:00:01.000Z', '2026-02-15T10:00:01.000Z', '2026-02-15T10:00:01.000Z']);
    // The stored facts do not depend on the part size: the same records in one part store the same rows.
    const one = await binder();
    await one.ingest(records, { source: 'test' });
    expect(await one.facts()).toEqual(expected);
    const bad = await openBinder({ file: dbFile(), knownSecrets: [], partSize: 0 }).catch((e: unknown) => e);
    expect([bad instanceof BinderError, (bad as BinderError).code, (bad as BinderError).message]).toEqual([true, 'invalid-query', 'partSize must be a positive integer, not 0']);
  });

  it('a call of more than one part (12,500 records) binds as one: a key repeated across parts is a duplicate or a conflict as within a part', async () => {
    const steps: string[] = [];
    const b = await binder({ trace: (phase) => steps.push(phase) });
    const records: unknown[] = Array.from({ length: 12_500 }, (_, i) => envelope(i));
    records[100] = 'not an object';
    const changed = envelope(7, { event_id: 'ev-7-again' });
    // Second part: a key of the first part again (same content, then other content), a new key twice.
    records.push(envelope(5), changed, envelope(20_000), envelope(20_000));
    const r = await b.ingest(records, { source: 'test' });
    expect(r).toEqual({
      received: 12_504,
      accepted: 12_500,
      duplicates: 2,
      quarantined: 2,
      conflicts: 1,
      quarantineIds: ['"not an object"', canonicalText(changed)].map(sha256),
      capsules: { created: 1, updated: 0, minted: 1 },
      path: 'bind',
      ingestId: 1,
    });
    // Two parts prepared, staged and inserted, then one compare, one capsule update, one commit.
    expect(steps.filter((s) => s !== 'bookkeeping')).toEqual(['digest', 'validate', 'keys', 'stage', 'validate', 'keys', 'insert', 'stage', 'insert', 'compare', 'capsules', 'commit']);
    const facts = await b.facts();
    expect(facts.length).toBe(12_500);
    expect(facts.filter((f) => f.run_id === 'run-7').map((f) => f.event_id)).toEqual(['ev-7']);
    expect((await b.quarantine()).find((q) => q.quarantine_id === sha256(canonicalText(changed)))!.reasons).toEqual([
      {
        code: 'idempotency-conflict',
        path: '',
        message: `idempotency key ${ikey(changed)} (run_id, task_id, group_id, binder/1) is stored with other content (event_id ev-7); the stored fact is kept`,
      },
    ]);
    expect((await b.capsules()).map((c) => c.envelope_count)).toEqual([12_500]);
    // The same call again is known by its digest.
    expect(await b.ingest(records, { source: 'test' })).toMatchObject({ path: 'known-batch', accepted: 0, duplicates: 12_502, quarantined: 2 });
  });

  it('calls handed over before the previous one resolves bind in call order, exactly as awaited one by one', async () => {
    const first = [1, 2, 3].map((n) => envelope(n));
    // Call 2 repeats a key of call 1 with other content, and holds call 1's first record unchanged.
    const second = [envelope(2, { event_id: 'ev-2-again' }), envelope(1), envelope(4)];
    // Call 3 goes through ingestText, which reads no digest of records first; call 4 repeats a key of call 1.
    const calls = [first, second, 'not a batch of envelopes', [envelope(3), envelope(5)]];
    const results = async (b: Binder, pipelined: boolean) => {
      const out: unknown[] = [];
      if (pipelined) {
        const pending = calls.map((c) => (typeof c === 'string' ? b.ingestText(c, { source: 'test' }) : b.ingest(c, { source: 'test' })));
        for (const p of pending) out.push(await p);
      } else {
        for (const c of calls) out.push(typeof c === 'string' ? await b.ingestText(c, { source: 'test' }) : await b.ingest(c, { source: 'test' }));
      }
      return { out, facts: await b.facts(), capsules: await b.capsules(), quarantine: await b.quarantine() };
    };
    const [piped, awaited] = await Promise.all([binder().then((b) => results(b, true)), binder().then((b) => results(b, false))]);
    expect(piped).toEqual(awaited);
    expect(piped.out.map((r) => (r as IngestResult).path)).toEqual(['bind', 'bind', 'bind', 'bind']);
    expect(piped.out.map((r) => [(r as IngestResult).accepted, (r as IngestResult).duplicates, (r as IngestResult).conflicts])).toEqual([
      [3, 0, 0],
      [1, 1, 1],
      [0, 0, 0],
      [1, 1, 0],
    ]);
    expect(piped.out.map((r) => (r as IngestResult).ingestId)).toEqual([1, 2, 3, 4]);
    // Call 1's ev-2 is kept against call 2's other content, whichever call's records were prepared first.
    expect(piped.facts.map((f) => f.event_id).sort()).toEqual(['ev-1', 'ev-2', 'ev-3', 'ev-4', 'ev-5']);
  });

  it('replaying the same snapshot changes nothing: the same facts byte for byte, counted as duplicates', async () => {
    const b = await binder();
    const snapshot = [1, 2, 3, 4].map((n) => envelope(n, n === 4 ? { signal: 'success' } : {}));
    await b.ingest(snapshot, { source: 'test' });
    const facts = JSON.stringify(await b.facts());
    const capsules = JSON.stringify(await b.capsules());
    // Unchanged batch: recognised by its digest.
    expect(await b.ingest(snapshot, { source: 'test' })).toEqual({
      received: 4,
      accepted: 0,
      duplicates: 4,
      quarantined: 0,
      conflicts: 0,
      quarantineIds: [],
      capsules: noCapsules,
      path: 'known-batch',
      ingestId: 2,
    });
    // The same envelopes in another order, keys reordered, split differently: validated and anti-joined.
    const other = snapshot.map(reorder).reverse();
    expect(await b.ingest(other.slice(0, 3), { source: 'test' })).toMatchObject({ received: 3, accepted: 0, duplicates: 3, path: 'bind', capsules: noCapsules });
    expect(await b.ingest(other.slice(3), { source: 'test' })).toMatchObject({ received: 1, accepted: 0, duplicates: 1, path: 'bind' });
    expect(JSON.stringify(await b.facts())).toBe(facts);
    expect(JSON.stringify(await b.capsules())).toBe(capsules);
  });

  it('a batch digest counts only for plain JSON: a batch that merely stringifies alike is validated, and its digest never recorded', async () => {
    const b = await binder();
    const plain = [envelope(1), envelope(2)];
    // An `undefined` member and a Date stringify like a missing field and an ISO string, but are not that JSON.
    const lookalike = [{ ...envelope(1), anomaly_trigger: undefined }, { ...envelope(2), observed_at: new Date(envelope(2).observed_at as string) }];
    expect(JSON.stringify(lookalike)).toBe(JSON.stringify(plain));
    // Both quarantined (the undefined member is not canonical JSON, the Date not a string).
    expect(await b.ingest(lookalike, { source: 'test' })).toMatchObject({ received: 2, accepted: 0, quarantined: 2, path: 'bind' });
    // Not recorded: the plain batch is bound in full, then recognised.
    expect(await b.ingest(plain, { source: 'test' })).toMatchObject({ received: 2, accepted: 2, path: 'bind' });
    expect(await b.ingest(plain, { source: 'test' })).toMatchObject({ received: 2, accepted: 0, duplicates: 2, path: 'known-batch' });
    // Recorded now, yet the look-alike is still validated, not answered from the plain batch's record.
    expect(await b.ingest(lookalike, { source: 'test' })).toMatchObject({ received: 2, accepted: 0, duplicates: 0, quarantined: 2, path: 'bind' });
  });

  it('binds the same facts in another order, on another file, in another process', async () => {
    const snapshot = Array.from({ length: 12 }, (_, n) => envelope(n, { signal: ['failure', 'success', 'denial', 'anomaly'][n % 4], ...(n % 4 === 2 ? { policy_reason_code: 'gate-disabled' } : {}), ...(n % 4 === 3 ? { anomaly_trigger: 'timeout' } : {}), task_id: `T-${n % 3}` }));
    const a = await binder();
    await a.ingest(snapshot, { source: 'here' });
    const here = await a.facts();

    // The binder bundled (as the CLI bundles it), run by a child node process on a new file.
    // The bundle sits under the repository's node_modules, where @duckdb/* (external) resolves.
    const cache = path.join(REPO, 'node_modules/.cache');
    fs.mkdirSync(cache, { recursive: true });
    const dir = fs.mkdtempSync(path.join(cache, 'binder-store-test-'));
    dirs.push(dir);
    const lib = path.join(dir, 'binder.mjs');
    await bundleChild({ entryPoints: [path.join(path.dirname(fileURLToPath(import.meta.url)), 'index.ts')], outfile: lib, external: ['@duckdb/*'], logLevel: 'error' });
    fs.writeFileSync(path.join(dir, 'snapshot.json'), JSON.stringify(snapshot.map(reorder).reverse()));
    const file = path.join(dir, 'other.duckdb');
    const script = `import fs from 'node:fs';
      const { openBinder } = await import(${JSON.stringify(lib)});
      const b = await openBinder({ file: ${JSON.stringify(file)}, knownSecrets: [] });
      const all = JSON.parse(fs.readFileSync(${JSON.stringify(path.join(dir, 'snapshot.json'))}, 'utf8'));
      for (const one of all) await b.ingest([one], { source: 'elsewhere' });
      process.stdout.write(JSON.stringify(await b.facts()));
      await b.close();`;
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', script], { encoding: 'utf8', cwd: path.dirname(fileURLToPath(import.meta.url)) });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual(here);
  });

  it('a key twice in a batch: identical content is a duplicate, other content a conflict in quarantine; the first is kept', async () => {
    const b = await binder();
    const first = envelope(1);
    const changed = envelope(1, { event_id: 'ev-1-again', observed_at: '2026-02-15T11:00:00.000Z' });
    const r = await b.ingest([first, first, changed], { source: 'test' });
    const stored = canonicalText(changed);
    expect(r).toEqual({
      received: 3,
      accepted: 1,
      duplicates: 1,
      quarantined: 1,
      conflicts: 1,
      quarantineIds: [sha256(stored)],
      capsules: { created: 1, updated: 0, minted: 1 },
      path: 'bind',
      ingestId: 1,
    });
    expect((await b.facts()).map((f) => f.event_id)).toEqual(['ev-1']);
    expect(await b.quarantine()).toEqual([
      {
        quarantine_id: sha256(stored),
        raw: JSON.parse(stored),
        reasons: [
          {
            code: 'idempotency-conflict',
            path: '',
            message: `idempotency key ${ikey(first)} (run_id, task_id, group_id, binder/1) is stored with other content (event_id ev-1); the stored fact is kept`,
          },
        ],
        source: 'test',
        first_seen_at: NOW.toISOString(),
        resolved_at: null,
        resolved_key: null,
        resolved_source: null,
      },
    ]);
    // Across batches too: the stored fact stays.
    expect(await b.ingest([envelope(1, { sequence: 7 })], { source: 'later' })).toMatchObject({ accepted: 0, duplicates: 0, quarantined: 1, conflicts: 1 });
    expect((await b.facts()).map((f) => [f.event_id, f.sequence])).toEqual([['ev-1', 1]]);
  });

  it('invalid records go to quarantine with coded reasons, once per distinct record; nothing is dropped', async () => {
    const b = await binder();
    const { task_id: _t, ...noTask } = envelope(2);
    const bad = [noTask, 'not an object', { ...envelope(3), signal: 'exploded' }];
    const r = await b.ingest([envelope(1), ...bad, noTask], { source: 'file:x.jsonl' });
    const ids = [canonicalText(noTask), '"not an object"', canonicalText({ ...envelope(3), signal: 'exploded' }), canonicalText(noTask)].map(sha256);
    expect(r).toEqual({ received: 5, accepted: 1, duplicates: 0, quarantined: 4, conflicts: 0, quarantineIds: ids, capsules: { created: 1, updated: 0, minted: 1 }, path: 'bind', ingestId: 1 });
    const q = await b.quarantine();
    const exploded = checkEnvelope({ ...envelope(3), signal: 'exploded' });
    expect(exploded.ok).toBe(false);
    expect(q.map((e) => [e.quarantine_id, e.reasons, e.source])).toEqual(
      [
        [ids[0], [{ code: 'field-missing', path: 'task_id', message: 'required (string)' }], 'file:x.jsonl'],
        [ids[1], [{ code: 'not-an-object', path: '', message: 'an envelope is a JSON object, not a string' }], 'file:x.jsonl'],
        [ids[2], (exploded as { reasons: unknown[] }).reasons, 'file:x.jsonl'],
      ].sort((x, y) => ((x[0] as string) < (y[0] as string) ? -1 : 1)),
    );
    expect(q.find((e) => e.quarantine_id === ids[0])!.raw).toEqual(noTask);
    expect((await b.status()).quarantine).toEqual({ open: 3, resolved: 0 });
  });

  it('never stores a secret in quarantine: secret-named env values and token-shaped strings are redacted', async () => {
    const b = await binder();
    const token = `ghp_${'x7Kq'.repeat(9)}`;
    const { task_id: _t, ...noTask } = envelope(1, {
      context: { gates: [], versions: {}, env: { GITHUB_TOKEN: token, CI: 'true' } },
      evidence: [{ kind: 'url', ref: `https://ci.example/run?t=${token}` }],
    });
    const r = await b.ingest([noTask], { source: 'test' });
    const [entry] = await b.quarantine();
    expect(JSON.stringify(entry)).not.toContain(token);
    expect(entry!.raw).toEqual({
      ...noTask,
      context: { gates: [], versions: {}, env: { CI: 'true', GITHUB_TOKEN: '[REDACTED:secret-name]' } },
      evidence: [{ kind: 'url', ref: 'https://ci.example/run?t=[REDACTED:github]' }],
    });
    expect(r.quarantineIds).toEqual([entry!.quarantine_id]);
    expect(entry!.quarantine_id).toBe(sha256(canonicalText(entry!.raw)));
  });

  it('ingestText: JSON Lines with a broken line stores the good lines and quarantines the broken one as its text', async () => {
    const b = await binder();
    const text = `${JSON.stringify(envelope(1))}\n{"schema": oops\n\n${JSON.stringify(envelope(2))}\n`;
    const [, broken] = parseEnvelopeText(text);
    const r = await b.ingestText(text, { source: 'stdin' });
    expect(r).toEqual({
      received: 3,
      accepted: 2,
      duplicates: 0,
      quarantined: 1,
      conflicts: 0,
      quarantineIds: [sha256('"{\\"schema\\": oops"')],
      capsules: { created: 1, updated: 0, minted: 1 },
      path: 'bind',
      ingestId: 1,
    });
    expect((await b.quarantine()).map((e) => [e.raw, e.reasons])).toEqual([['{"schema": oops', [(broken as { error: unknown }).error]]]);
    expect(await b.ingestText(text, { source: 'stdin' })).toMatchObject({ received: 3, accepted: 0, duplicates: 2, quarantined: 1, path: 'known-batch' });
  });

  it('a lone surrogate passes the schema but has no canonical form: quarantined, the surrogate written as its escape', async () => {
    const b = await binder();
    const r = await b.ingest([envelope(1, { task_id: 'T-\ud800' })], { source: 'test' });
    expect([r.accepted, r.quarantined]).toEqual([0, 1]);
    const [entry] = await b.quarantine();
    expect([entry!.reasons, (entry!.raw as Raw).task_id]).toEqual([
      [{ code: 'not-canonical', path: '', message: 'a string holds a lone UTF-16 surrogate: it has no canonical JSON form and cannot be stored unchanged' }],
      'T-\\ud800',
    ]);
  });
});

describe('replay of a quarantined record', () => {
  it('stores the fix exactly once and marks the record resolved', async () => {
    const b = await binder();
    const { task_id: _t, ...noTask } = envelope(1);
    const { quarantineIds } = await b.ingest([noTask], { source: 'test' });
    const id = quarantineIds[0]!;
    const fixed = envelope(1);
    expect(await b.replay(id, fixed)).toEqual({ quarantineId: id, idempotencyKey: ikey(fixed), stored: true, capsules: { created: 1, updated: 0, minted: 1 } });
    expect(await b.replay(id, fixed)).toEqual({ quarantineId: id, idempotencyKey: ikey(fixed), stored: false, capsules: noCapsules });
    expect(await b.quarantine()).toEqual([]);
    expect(await b.quarantine({ includeResolved: true })).toEqual([
      {
        quarantine_id: id,
        raw: noTask,
        reasons: [{ code: 'field-missing', path: 'task_id', message: 'required (string)' }],
        source: 'test',
        first_seen_at: NOW.toISOString(),
        resolved_at: NOW.toISOString(),
        resolved_key: ikey(fixed),
        resolved_source: `replay:${id}`,
      },
    ]);
    expect((await b.facts()).length).toBe(1);
    expect((await b.status()).quarantine).toEqual({ open: 0, resolved: 1 });
  });

  it('refuses an unknown id, a fix that is still invalid, and a fix that would change a stored fact', async () => {
    const b = await binder();
    await b.ingest([envelope(1)], { source: 'test' });
    const { task_id: _t, ...noTask } = envelope(2);
    const id = (await b.ingest([noTask], { source: 'test' })).quarantineIds[0]!;
    const err = (p: Promise<unknown>) => p.then(() => null, (e: BinderError) => [e.code, e.details]);
    expect(await err(b.replay('nope', envelope(2)))).toEqual(['quarantine-not-found', { quarantine_id: 'nope' }]);
    expect(await err(b.replay(id, noTask))).toEqual(['replay-invalid', { quarantine_id: id, reasons: [{ code: 'field-missing', path: 'task_id', message: 'required (string)' }] }]);
    // run-1's key is stored with event ev-1: a "fix" under that key with other content is refused.
    expect(await err(b.replay(id, envelope(1, { event_id: 'other' })))).toEqual(['replay-conflict', { quarantine_id: id, idempotency_key: ikey(envelope(1)) }]);
    await b.replay(id, envelope(2));
    expect(await err(b.replay(id, envelope(3)))).toEqual(['replay-conflict', { quarantine_id: id, resolved_key: ikey(envelope(2)), idempotency_key: ikey(envelope(3)) }]);
    expect((await b.facts()).map((f) => f.event_id).sort()).toEqual(['ev-1', 'ev-2']);
  });
});

describe('capsules', () => {
  /** One situation: three failures, a denial, an accepted anomaly, a success. */
  const mixed = () => [
    envelope(1),
    envelope(2),
    envelope(3),
    envelope(4, { signal: 'denial', policy_reason_code: 'gate-disabled' }),
    envelope(5, { signal: 'anomaly', anomaly_trigger: 'exit-nonzero' }),
    envelope(6, { signal: 'success' }),
  ];

  it('one row per upsert key with support, contradictions, explicit/anomaly/denial counts, first and last seen', async () => {
    const b = await binder({ rollout: 'guided' });
    await b.ingest(mixed(), { source: 'test' });
    const e = parsed(envelope(1));
    expect(await b.capsules()).toEqual([
      {
        upsert_key: ukey(envelope(1)),
        scope: 'repo:govern/libs/binder',
        target_kind: 'file',
        target_id: 'src/store.ts',
        action_kind: 'edit',
        failure_reason_code: 'check-failed',
        fingerprint_hash: fingerprintHash(e),
        binder_version: 'binder/1',
        fallback_mode: 'strict',
        fallback_version: 'fallback/1',
        envelope_count: 6,
        minted: true,
        counters: {
          support_count: 4,
          contradiction_count: 1,
          explicit_count: 4,
          anomaly_count: 0,
          denial_count: 1,
          first_seen_ts: '2026-02-15T10:00:01.000Z',
          last_seen_ts: '2026-02-15T10:00:04.000Z',
          wrapper_policies: ['govern-wrap@1.2.0'],
          policy_reason_codes: ['gate-disabled'],
        },
        eligibility: { eligible: true, qualified: true, confidence: 0.8, stale: false, age_days: 0.583287, reasons: [] },
      },
    ]);
  });

  it('fallback modes: Strict never mints without an explicit failure or denial; Hybrid accepts its triggers; Lenient every trigger', async () => {
    const file = dbFile();
    const anomalies = [
      envelope(1, { signal: 'anomaly', anomaly_trigger: 'timeout', task_id: 'A' }),
      envelope(2, { signal: 'anomaly', anomaly_trigger: 'slow', task_id: 'B', task_spec: { scope: 's', target: { kind: 'test', id: 't' }, action: { kind: 'run-check' }, failure_reason_code: 'flaky' } }),
    ];
    const minted = async (fallback: BinderConfig['fallback']) => {
      const b = await openBinder({ file, config: { ...DEFAULT_BINDER_CONFIG, fallback }, now: () => NOW, knownSecrets: [] });
      await b.ingest(anomalies, { source: 'test' });
      const out = (await b.capsules()).map((c) => [c.failure_reason_code, c.fallback_mode, c.minted, c.counters.support_count, c.counters.anomaly_count]);
      await b.close();
      return out;
    };
    // Reopening with another mode recomputes every capsule from the stored facts.
    expect(await minted('strict')).toEqual([
      ['flaky', 'strict', false, 0, 0],
      ['check-failed', 'strict', false, 0, 0],
    ]);
    expect(await minted('hybrid')).toEqual([
      ['flaky', 'hybrid', false, 0, 0],
      ['check-failed', 'hybrid', true, 1, 1],
    ]);
    expect(await minted('lenient')).toEqual([
      ['flaky', 'lenient', true, 1, 1],
      ['check-failed', 'lenient', true, 1, 1],
    ]);
    expect(await minted('strict')).toEqual([
      ['flaky', 'strict', false, 0, 0],
      ['check-failed', 'strict', false, 0, 0],
    ]);
  });

  it('a batch that holds one upsert key many times, twice over, counts every envelope once (no row dropped by the upsert)', async () => {
    const b = await binder();
    const other = (n: number) => envelope(n, { task_spec: { scope: 'x', target: { kind: 'file', id: 'y' }, action: { kind: 'edit' }, failure_reason_code: 'check-failed' } });
    const first = [...Array.from({ length: 50 }, (_, n) => envelope(n)), other(1000), envelope(0)];
    expect(await b.ingest(first, { source: 'test' })).toMatchObject({ accepted: 51, duplicates: 1, capsules: { created: 2, updated: 0, minted: 2 } });
    expect(await b.ingest(Array.from({ length: 50 }, (_, n) => envelope(50 + n)), { source: 'test' })).toMatchObject({ accepted: 50, capsules: { created: 0, updated: 1, minted: 0 } });
    const caps = await b.capsules();
    expect(caps.map((c) => [c.upsert_key, c.envelope_count, c.counters.support_count, c.counters.last_seen_ts])).toEqual([
      [ukey(other(1000)), 1, 1, '2026-02-15T10:16:40.000Z'],
      [ukey(envelope(0)), 100, 100, '2026-02-15T10:01:39.000Z'],
    ]);
  });

  it('contradictions and staleness take eligibility away, deterministically', async () => {
    const b = await binder({ rollout: 'guided' });
    await b.ingest([envelope(1), envelope(2), envelope(3)], { source: 'test' });
    const el = async (now?: Date) => (await b.capsules({}, now ? { now } : {}))[0]!.eligibility;
    expect(await el()).toEqual({ eligible: true, qualified: true, confidence: 1, stale: false, age_days: 0.583299, reasons: [] });
    expect(await el(new Date('2026-03-20T00:00:00.000Z'))).toEqual({
      eligible: false,
      qualified: false,
      confidence: 1,
      stale: true,
      age_days: 32.583299,
      reasons: [{ code: 'stale', message: 'last seen 32.583299 days ago, more than max_staleness_days 30' }],
    });
    await b.ingest([envelope(4, { signal: 'success' }), envelope(5, { signal: 'success' })], { source: 'test' });
    expect(await el()).toEqual({
      eligible: false,
      qualified: false,
      confidence: 0.6,
      stale: false,
      age_days: 0.583299,
      reasons: [{ code: 'low-confidence', message: 'confidence 0.6 is below min_confidence 0.8' }],
    });
  });

  it('a capsule no envelope may mint is never eligible', async () => {
    const b = await binder({ rollout: 'guided' });
    await b.ingest([envelope(1, { signal: 'success' })], { source: 'test' });
    const [c] = await b.capsules();
    expect([c!.minted, c!.eligibility.eligible, c!.eligibility.reasons[0]]).toEqual([false, false, { code: 'not-minted', message: 'no envelope of this key may mint a capsule under fallback strict' }]);
    expect(await b.capsules({ minted: true })).toEqual([]);
  });
});

describe('rollout: suggest and apply', () => {
  const three = [envelope(1), envelope(2), envelope(3)];

  it('shadow suggests nothing (mode-shadow) but keeps deriving; guided suggests eligible capsules and refuses apply', async () => {
    const shadow = await binder();
    await shadow.ingest(three, { source: 'test' });
    expect(await shadow.suggest()).toEqual({ rollout: 'shadow', fallback: 'strict', reason: 'mode-shadow', applicable: false, qualified: 1, suggestions: [] });
    expect((await shadow.capsules())[0]!.eligibility.reasons).toEqual([{ code: 'mode-shadow', message: 'rollout is shadow: capsules are derived and recorded, never used' }]);
    const guided = await binder({ rollout: 'guided' });
    await guided.ingest(three, { source: 'test' });
    const s = await guided.suggest();
    expect([s.rollout, s.reason, s.applicable, s.qualified, s.suggestions.map((c) => c.upsert_key)]).toEqual(['guided', null, false, 1, [ukey(envelope(1))]]);
    await expect(guided.apply(ukey(envelope(1)), { actor: 'ada', reason: 'r' })).rejects.toMatchObject({ code: 'not-prescriptive', details: { rollout: 'guided', upsert_key: ukey(envelope(1)) } });
  });

  it('prescriptive applies an eligible capsule and audits it; refuses one that is not eligible or unknown', async () => {
    const b = await binder({ rollout: 'prescriptive' });
    await b.ingest(three, { source: 'test' });
    const key = ukey(envelope(1));
    const app = await b.apply(key, { actor: 'ada', reason: 'known fix for check-failed' });
    const counters = (await b.capsules())[0]!.counters;
    expect(app).toEqual({
      application_id: 1,
      upsert_key: key,
      actor: 'ada',
      reason: 'known fix for check-failed',
      applied_at: NOW.toISOString(),
      rollout: 'prescriptive',
      fallback_mode: 'strict',
      confidence: 1,
      counters,
      binder_version: 'binder/1',
    });
    expect(await b.applications()).toEqual([app]);
    await expect(b.apply(key, { actor: 'ada', reason: 'again', now: new Date('2026-04-01T00:00:00Z') })).rejects.toMatchObject({ code: 'not-eligible' });
    await expect(b.apply('0'.repeat(64), { actor: 'ada', reason: 'r' })).rejects.toMatchObject({ code: 'capsule-not-found' });
    expect((await b.status()).applications).toBe(1);
  });

  it('an apply or a replay made while an earlier ingest is still under way commits after it', async () => {
    const b = await binder({ rollout: 'prescriptive' });
    await b.ingest(three, { source: 'test' });
    const { task_id: _t, ...noTask } = envelope(5);
    const id = (await b.ingest([noTask], { source: 'test' })).quarantineIds[0]!;
    const key = ukey(envelope(1));
    // Neither ingest is awaited before the next call is made: each first looks its digest
    // up on the read connection, which readers keep busy, while apply and replay read on
    // the write connection and are ready to write sooner.
    const reading = Array.from({ length: 20 }, () => b.facts());
    const ingested = b.ingest([envelope(4)], { source: 'test' });
    const applied = b.apply(key, { actor: 'ada', reason: 'r' });
    const ingested5 = b.ingest([envelope(5)], { source: 'test' });
    const replayed = b.replay(id, envelope(5));
    expect((await ingested).accepted).toBe(1);
    // Applied to the capsule as the earlier ingest left it: four supports, not three.
    expect((await applied).counters.support_count).toBe(4);
    expect((await ingested5).accepted).toBe(1);
    // The fix is stored already by the earlier ingest: the replay finds it, stores nothing.
    expect(await replayed).toEqual({ quarantineId: id, idempotencyKey: ikey(envelope(5)), stored: false, capsules: noCapsules });
    expect((await b.capsules())[0]!.counters.support_count).toBe(5);
    expect((await Promise.all(reading)).map((f) => f.length)).toEqual(Array.from({ length: 20 }, () => 3));
  });
});

describe('query primitives', () => {
  /** Two TaskSpecs over three runs, with denials, anomalies, ties in observed_at and gates. */
  function snapshot(): Raw[] {
    const ts2 = { scope: 'repo:govern/apps/cli', target: { kind: 'test', id: 'e2e' }, action: { kind: 'run-check' }, failure_reason_code: 'timeout' };
    return [
      envelope(1),
      envelope(2, { task_id: 'T-2', task_spec: ts2, context: { gates: ['e2e'] } }),
      envelope(3, { signal: 'denial', policy_reason_code: 'gate-disabled' }),
      envelope(4, { task_id: 'T-2', task_spec: ts2, signal: 'anomaly', anomaly_trigger: 'timeout', context: { gates: [] } }),
      envelope(5, { signal: 'success' }),
      // Same observed_at as envelope 5: ordered by key.
      envelope(6, { observed_at: envelope(5).observed_at }),
      envelope(7, { task_id: 'T-2', task_spec: ts2, signal: 'denial', policy_reason_code: 'closure-required', observed_at: envelope(5).observed_at, context: { gates: [] } }),
    ];
  }

  it('identical snapshot and filters give identical ordered rows, whatever order the facts came in', async () => {
    const a = await binder();
    await a.ingest(snapshot(), { source: 'a' });
    const b = await binder();
    for (const e of snapshot().reverse()) await b.ingest([reorder(e)], { source: 'b' });
    const queries: Array<[string, Record<string, string>]> = [
      ['mv_recent_failures_by_taskspec', {}],
      ['mv_recent_failures_by_taskspec', { scope: 'repo:govern/libs/binder' }],
      ['mv_recent_failures_by_taskspec', { from: '2026-02-15T10:00:02Z', to: '2026-02-15T11:00:05+01:00' }],
      ['mv_gate_rollup_by_failure_reason_code', {}],
      ['mv_gate_rollup_by_failure_reason_code', { gate: 'lint' }],
      ['mv_guard_denials_by_policy_reason_code', {}],
      ['mv_guard_denials_by_policy_reason_code', { policy_reason_code: 'closure-required' }],
    ];
    for (const [p, filters] of queries) expect(await b.query(p, { filters })).toEqual(await a.query(p, { filters }));

    const recent = await a.query('mv_recent_failures_by_taskspec', { limit: 3 });
    expect([recent.truncated, recent.rows.map((r) => [r.event_id, r.signal, r.observed_ts])]).toEqual([
      true,
      [
        ...[envelope(6)]
          .map((e) => [e.event_id, 'failure', '2026-02-15T10:00:05.000Z'])
          .concat([['ev-4', 'anomaly', '2026-02-15T10:00:04.000Z']]),
        ['ev-2', 'failure', '2026-02-15T10:00:02.000Z'],
      ],
    ]);
    expect((await a.query('mv_recent_failures_by_taskspec', { filters: { from: '2026-02-15T10:00:02Z', to: '2026-02-15T11:00:05+01:00' } })).rows.map((r) => r.event_id)).toEqual(['ev-4', 'ev-2']);
    expect((await a.query('mv_gate_rollup_by_failure_reason_code')).rows).toEqual([
      { gate: 'lint', failure_reason_code: 'check-failed', failures: 2, anomalies: 0, denials: 1, successes: 1, envelopes: 4, first_seen_ts: '2026-02-15T10:00:01.000Z', last_seen_ts: '2026-02-15T10:00:05.000Z' },
      { gate: 'unit', failure_reason_code: 'check-failed', failures: 2, anomalies: 0, denials: 1, successes: 1, envelopes: 4, first_seen_ts: '2026-02-15T10:00:01.000Z', last_seen_ts: '2026-02-15T10:00:05.000Z' },
      { gate: 'e2e', failure_reason_code: 'timeout', failures: 1, anomalies: 0, denials: 0, successes: 0, envelopes: 1, first_seen_ts: '2026-02-15T10:00:02.000Z', last_seen_ts: '2026-02-15T10:00:02.000Z' },
      { gate: null, failure_reason_code: 'timeout', failures: 0, anomalies: 1, denials: 1, successes: 0, envelopes: 2, first_seen_ts: '2026-02-15T10:00:04.000Z', last_seen_ts: '2026-02-15T10:00:05.000Z' },
    ]);
    expect((await a.query('mv_guard_denials_by_policy_reason_code')).rows).toEqual([
      { policy_reason_code: 'closure-required', scope: 'repo:govern/apps/cli', target_kind: 'test', target_id: 'e2e', action_kind: 'run-check', denials: 1, failures: 0, runs: 1, first_seen_ts: '2026-02-15T10:00:05.000Z', last_seen_ts: '2026-02-15T10:00:05.000Z' },
      { policy_reason_code: 'gate-disabled', scope: 'repo:govern/libs/binder', target_kind: 'file', target_id: 'src/store.ts', action_kind: 'edit', denials: 1, failures: 0, runs: 1, first_seen_ts: '2026-02-15T10:00:03.000Z', last_seen_ts: '2026-02-15T10:00:03.000Z' },
    ]);
  });

  it('refuses an unknown primitive, an unknown filter and a bad limit as usage errors', async () => {
    const b = await binder();
    const err = (p: Promise<unknown>) => p.then(() => null, (e: BinderError) => [e.code, e.exitCode, e.message]);
    expect(await err(b.query('mv_nope'))).toEqual([
      'invalid-query',
      2,
      'unknown query primitive "mv_nope"; known: mv_recent_failures_by_taskspec, mv_gate_rollup_by_failure_reason_code, mv_guard_denials_by_policy_reason_code',
    ]);
    expect(await err(b.query('mv_gate_rollup_by_failure_reason_code', { filters: { scope: 'x' } }))).toEqual(['invalid-query', 2, 'mv_gate_rollup_by_failure_reason_code: scope: Unrecognized key: "scope"']);
    expect(await err(b.query('mv_guard_denials_by_policy_reason_code', { limit: 0 }))).toEqual(['invalid-query', 2, 'limit must be an integer from 1 to 10000, not 0']);
  });
});

describe('status and reconcile', () => {
  it('reports counts, configuration and versions', async () => {
    const b = await binder({ rollout: 'guided' });
    const { task_id: _t, ...noTask } = envelope(9);
    await b.ingest([envelope(1), envelope(2), envelope(3, { signal: 'success' }), noTask], { source: 'test' });
    expect(await b.status()).toEqual({
      file: b.file,
      binder_version: 'binder/1',
      fallback_version: 'fallback/1',
      schema_version: 1,
      config: { ...DEFAULT_BINDER_CONFIG, rollout: 'guided' },
      facts: 3,
      quarantine: { open: 1, resolved: 0 },
      // support 2, contradiction 1: confidence 0.67 < 0.8.
      capsules: { total: 1, minted: 1, qualified: 0, eligible: 0 },
      ingests: 1,
      applications: 0,
      last_ingest_at: NOW.toISOString(),
    });
  });

  // One case per fallback mode (two runs each, six in all; it was five runs over a random
  // mode in one case, 3.2 s alone and 6.7 s under npm test: GV-22).
  it.each(['strict', 'hybrid', 'lenient'] as const)('capsules kept up batch by batch (the batch added to the stored counters) are byte for byte those recomputed from all facts (%s)', async (mode) => {
    const signals = ['failure', 'success', 'denial', 'anomaly'] as const;
    const item = fc.record({ task: fc.integer({ min: 0, max: 2 }), signal: fc.constantFrom(...signals), t: fc.integer({ min: 0, max: 50 }), policy: fc.constantFrom('gate-disabled', 'closure-required', 'z'), version: fc.constantFrom('1.2.0', '1.10.0', '0.9') });
    await fc.assert(
      fc.asyncProperty(fc.array(item, { minLength: 1, maxLength: 14 }), fc.array(fc.integer({ min: 1, max: 5 }), { minLength: 1, maxLength: 6 }), async (items, cuts) => {
        const file = dbFile();
        const config: BinderConfig = { ...DEFAULT_BINDER_CONFIG, fallback: mode };
        const b = await openBinder({ file, config, now: () => NOW, knownSecrets: [] });
        const all = items.map((x, n) =>
          envelope(n, {
            task_id: `T-${x.task}`,
            signal: x.signal,
            observed_at: new Date(T0 + x.t * 1000).toISOString(),
            wrapper_policy: { name: 'govern-wrap', version: x.version },
            ...(x.signal === 'denial' ? { policy_reason_code: x.policy } : {}),
            ...(x.signal === 'anomaly' ? { anomaly_trigger: 'timeout' } : {}),
            task_spec: { scope: 'repo:govern/libs/binder', target: { kind: 'file', id: `src/${x.task}.ts` }, action: { kind: 'edit' }, failure_reason_code: 'check-failed' },
          }),
        );
        for (let at = 0, k = 0; at < all.length; at += cuts[k++ % cuts.length]!) await b.ingest(all.slice(at, at + cuts[k % cuts.length]!), { source: 'test' });
        await b.close();
        const rows = async () => {
          const db = await openDb(file);
          const r = JSON.stringify(await db.all('SELECT * FROM binder_capsules ORDER BY upsert_key'), (_, v: unknown) => (typeof v === 'bigint' ? String(v) : v));
          await db.close();
          return r;
        };
        const kept = await rows();
        const db = await openDb(file);
        await db.run("UPDATE binder_capsules SET fallback_version = 'fallback/0'");
        await db.close();
        // Reopening recomputes every capsule from all facts.
        await (await openBinder({ file, config, now: () => NOW, knownSecrets: [] })).close();
        expect(await rows()).toBe(kept);
      }),
      { seed: 20_260_216, numRuns: 2 },
    );
  });

  it('facts derived under another fallback version are derived again on open, and their capsules recomputed', async () => {
    const file = dbFile();
    const b = await openBinder({ file, now: () => NOW, knownSecrets: [] });
    await b.ingest([envelope(1), envelope(2, { signal: 'anomaly', anomaly_trigger: 'timeout' })], { source: 'test' });
    const facts = await b.facts();
    const capsules = await b.capsules();
    await b.close();
    const db = await openDb(file);
    await db.run("UPDATE binder_envelopes SET fallback_version = 'fallback/0', strict_derivation = 'none', strict_minting = false, hybrid_derivation = 'none'");
    await db.run("UPDATE binder_capsules SET support_count = 0, minted = false, fallback_version = 'fallback/0'");
    await db.close();
    const again = await openBinder({ file, now: () => NOW, knownSecrets: [] });
    expect(await again.facts()).toEqual(facts);
    expect(await again.capsules()).toEqual(capsules);
    await again.close();
  });
});

describe('canonical text', () => {
  it('is RFC 8785 (contracts canonicalJson) on plain JSON values', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(canonicalText(v)).toBe(canonicalJson(v));
      }),
      { seed: 20_260_215, numRuns: 300 },
    );
    expect(canonicalText({ b: [1, 'é', { d: null, c: true }], a: -0, ['\u00e9']: 1e21 })).toBe(canonicalJson({ b: [1, 'é', { d: null, c: true }], a: -0, ['\u00e9']: 1e21 }));
  });

  it('stores what is not JSON instead of throwing, and says which values are plain JSON', () => {
    const cyclic: Raw = { a: 1 };
    cyclic.self = cyclic;
    expect(canonicalText({ u: undefined, f: () => 1, n: NaN, big: 10n, d: new Date(0), arr: [undefined], s: '\ud800', cyclic })).toBe(
      '{"arr":[null],"big":"10","cyclic":{"a":1,"self":"[Circular]"},"d":"1970-01-01T00:00:00.000Z","n":null,"s":"\\ud800"}',
    );
    const sparse = [1, 2];
    delete sparse[0];
    expect([{ a: [1, 'x', null, true] }, { a: undefined }, sparse, new Date(0), 'x\ud800', Infinity, Object.create(null)].map((v) => isWellFormedJson(v))).toEqual([
      true,
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
  });
});
