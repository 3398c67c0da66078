import fs from 'node:fs';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { SERVICE_OPERATIONS } from './operations.js';
import { createServiceRunner, runOperation } from './runner.js';
import { fixtureClock, fixtureRepo } from './testing.js';

const roots: string[] = [];
afterAll(() => {
  for (const r of roots.splice(0)) fs.rmSync(r, { recursive: true, force: true });
});
function freshRoot(edit?: (root: string) => void): string {
  const r = fixtureRepo();
  roots.push(r);
  edit?.(r);
  return r;
}
const base = (root: string) => ({ root, now: fixtureClock(), actor: 'agent-a', cacheDir: null, env: { PATH: process.env.PATH } });
const refusal = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    const e = err as { code: string; status: number; details: Record<string, unknown> };
    return { code: e.code, status: e.status, details: e.details };
  }
  throw new Error('expected a refusal');
};

describe('SERVICE_OPERATIONS', () => {
  test('every operation has a local runner path or an explicit unsupported reason, and object schemas', () => {
    for (const o of SERVICE_OPERATIONS) {
      if (o.support.kind === 'local') expect(typeof o.support.run).toBe('function');
      else expect(o.support.reason.length).toBeGreaterThan(40);
      expect(o.input.def.type).toBe('object');
      expect(o.output.def.type).toBe('object');
    }
    expect(SERVICE_OPERATIONS.map((o) => o.name)).toEqual([
      'health',
      'graph.query',
      'graph.next',
      'gates.evaluate',
      'task.set_status',
      'task.close',
      'lifecycle.apply',
      'review.approve',
      'package.compile',
      'audit.query',
      'memory.query',
      'memory.upsert',
      'binder.suggest',
      'graph.import',
    ]);
  });
});

describe('the runner', () => {
  test("a closed service-runner gate refuses every operation but health, naming the gate and its blocking milestone", async () => {
    const root = freshRoot((r) => {
      const f = path.join(r, 'trackers/service-tracker.md');
      fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('| SR-01 Service runner | - | Done |', '| SR-01 Service runner | - | In Progress |'));
    });
    const runner = createServiceRunner(base(root));
    try {
      expect(((await runner.run('health', {})) as { gates: unknown[] }).gates).toEqual([
        { name: 'service-runner', enabled: false, blocked_by: ['SR-01'] },
        { name: 'binder', enabled: true, blocked_by: [] },
        { name: 'memory-store', enabled: false, blocked_by: ['SR-03'] },
      ]);
      expect(await refusal(runner.run('graph.next', {}))).toEqual({
        code: 'gate-disabled',
        status: 403,
        details: {
          operation: 'graph.next',
          failure_reason_code: null,
          policy_reason_code: 'gate.disabled',
          gate: 'service-runner',
          blocked_by: [{ id: 'SR-01', status: 'in_progress', file: 'trackers/service-tracker.md', line: 5 }],
        },
      });
      const audit = (await runner.run('audit.query', {}).catch((e: unknown) => e)) as { code: string };
      expect(audit.code).toBe('gate-disabled');
    } finally {
      await runner.close();
    }
  });

  test('runOperation is a one-shot runner whose audit outlives it (file-store pack)', async () => {
    const root = freshRoot();
    await runOperation('task.set_status', { id: 'SR-WP-01-T03', status: 'blocked', reason: 'token ghp_abcdefghijklmnopqrstuvwxyz0123456789 leaked' }, { ...base(root), via: 'library' });
    const out = (await runOperation('audit.query', {}, base(root))) as { entries: Array<Record<string, unknown>>; verified: boolean };
    expect(out.verified).toBe(true);
    expect(out.entries.map((e) => [e.action, e.subject, e.outcome, e.via])).toEqual([['task.set_status', 'SR-WP-01-T03', 'applied', 'library']]);
    // The audit keeps the input's hash, never the input: a secret in a reason does not reach it.
    expect(JSON.stringify(out.entries)).not.toContain('ghp_');
    expect(fs.readdirSync(path.join(root, '.govern/adapters/file-store/audit'))).toHaveLength(1);
  });

  test('the fake pack keeps the audit in memory, for the runner it belongs to', async () => {
    const root = freshRoot();
    const runner = createServiceRunner({ ...base(root), store: 'fake' });
    try {
      await runner.run('graph.import', { source: 'x' }).catch(() => undefined);
      const out = (await runner.run('audit.query', {})) as { store: string; entries: Array<{ failure_reason_code: string }> };
      expect([out.store, out.entries.map((e) => e.failure_reason_code)]).toEqual(['fake', ['service.unsupported']]);
      expect(fs.existsSync(path.join(root, '.govern/adapters'))).toBe(false);
    } finally {
      await runner.close();
    }
  });

  test('retention by age hides old entries from audit.query and says how many', async () => {
    const root = freshRoot();
    let t = Date.parse('2026-01-01T00:00:00Z');
    const now = () => new Date(t);
    const runner = createServiceRunner({ ...base(root), now, retention: { max_age_days: 7, max_entries: null } });
    try {
      await runner.run('graph.import', { source: 'old' }).catch(() => undefined);
      t += 10 * 86_400_000;
      await runner.run('graph.import', { source: 'new' }).catch(() => undefined);
      const out = (await runner.run('audit.query', {})) as { entries: Array<{ subject: string }>; retention: unknown };
      expect(out.entries.map((e) => e.subject)).toEqual(['new']);
      expect(out.retention).toEqual({
        policy: { max_age_days: 7, max_entries: null },
        evaluated_at: '2026-01-11T00:00:00.000Z',
        total: 2,
        retained: 1,
        expired: 1,
        oldest_retained_at: '2026-01-11T00:00:00.000Z',
      });
    } finally {
      await runner.close();
    }
  });

  test('an approval is spent by the call it approved; approving it again is a coded failure', async () => {
    const root = freshRoot();
    const runner = createServiceRunner(base(root));
    const input = { id: 'SR-WP-01-T03', status: 'in_progress', reason: 'go' };
    try {
      const denied = await refusal(runner.run('lifecycle.apply', input));
      const review_id = denied.details.review_id as string;
      await runner.run('review.approve', { review_id, reviewer: 'reviewer-b' });
      await runner.run('lifecycle.apply', input);
      expect(await refusal(runner.run('review.approve', { review_id, reviewer: 'reviewer-c' }))).toEqual({
        code: 'review-consumed',
        status: 409,
        details: { operation: 'review.approve', failure_reason_code: 'review.consumed', policy_reason_code: null, review_id },
      });
      expect((await refusal(runner.run('review.approve', { review_id: 'rv-0000000000000000', reviewer: 'x' }))).code).toBe('review-not-found');
    } finally {
      await runner.close();
    }
  });

  test('two runners racing on one approval: one call writes, the other is refused', async () => {
    const root = freshRoot();
    const a = createServiceRunner(base(root));
    const b = createServiceRunner(base(root));
    const input = { id: 'SR-WP-01-T03', status: 'blocked', reason: 'race' };
    try {
      const review_id = (await refusal(a.run('lifecycle.apply', input))).details.review_id as string;
      await a.run('review.approve', { review_id, reviewer: 'reviewer-b' });
      const settled = await Promise.allSettled([a.run('lifecycle.apply', input), b.run('lifecycle.apply', input)]);
      expect(settled.map((x) => x.status).sort()).toEqual(['fulfilled', 'rejected']);
      const lost = (settled.find((x) => x.status === 'rejected') as PromiseRejectedResult).reason as { details: Record<string, unknown> };
      // Lost the append race (a conflict), or came after the approval was spent (a new review is needed).
      expect([[lost.details.failure_reason_code, lost.details.policy_reason_code]]).toEqual([
        expect.toBeOneOf([
          ['adapter.conflict', null],
          [null, 'review.required'],
        ]),
      ]);
      const applied = ((await a.run('audit.query', { operation: 'lifecycle.apply', outcome: 'applied' })) as { matched: number }).matched;
      expect(applied).toBe(1);
    } finally {
      await a.close();
      await b.close();
    }
  });

  test('memory operations with the gate open reach memoryd; an unreachable one is a failure with its code', async () => {
    const root = freshRoot((r) => {
      const f = path.join(r, 'trackers/service-tracker.md');
      fs.writeFileSync(f, fs.readFileSync(f, 'utf8').replace('| SR-03 Memory API | SR-01 | Planned |', '| SR-03 Memory API | SR-01 | Done |'));
    });
    // A port nothing listens on: 127.0.0.1:9 (discard) is closed on a test machine.
    const runner = createServiceRunner({ ...base(root), memory: { url: 'http://127.0.0.1:9' } });
    try {
      const e = await refusal(runner.run('memory.query', { query: { primitive: 'recent_spans' } }));
      expect([e.code, e.status, e.details.failure_reason_code, e.details.policy_reason_code]).toEqual(['memoryd-unavailable', 503, 'memoryd-unavailable', null]);
    } finally {
      await runner.close();
    }
  });

  test('graph.query filters by document; an unknown document is a coded failure, not an empty page', async () => {
    const root = freshRoot();
    const runner = createServiceRunner(base(root));
    try {
      const page = (await runner.run('graph.query', { document: 'workplans/sr-wp-01.md', status: ['planned'], limit: 1 })) as { nodes: Array<{ id: string }>; total: number; next_offset: number | null };
      expect([page.nodes.map((n) => n.id), page.total, page.next_offset]).toEqual([['SR-WP-01-T02'], 2, 1]);
      expect(await refusal(runner.run('graph.query', { document: 'NOPE' }))).toEqual({
        code: 'document-not-found',
        status: 404,
        details: { operation: 'graph.query', failure_reason_code: 'graph.document-not-found', policy_reason_code: null, document: 'NOPE' },
      });
    } finally {
      await runner.close();
    }
  });

  test('an unknown store is refused when the runner is created', () => {
    expect(() => createServiceRunner({ root: '/nonexistent', store: 'nope' as 'fake' })).toThrow(/unknown store nope/);
  });
});

describe('types', () => {
  test('OperationName is the union of the literal names; inputs and outputs are typed by name', async () => {
    const name: import('./operations.js').OperationName = 'graph.next';
    // @ts-expect-error not an operation name (the typecheck fails if this line compiles)
    const wrong: import('./operations.js').OperationName = 'graph.nope';
    expect(wrong).toBe('graph.nope');
    const input: import('./operations.js').OperationInput<'graph.next'> = { limit: 1 };
    const root = freshRoot();
    const out = (await runOperation(name, input, base(root))) as import('./operations.js').OperationOutput<'graph.next'>;
    expect(out.nodes.map((n) => n.id)).toEqual(['SR-WP-01-T01']);
  });
});
