import path from 'node:path';
import type { AuditEntry } from '@govern/adapter-kit';
import { binderConfig, openBinder } from '@govern/binder';
import { closeItem } from '@govern/closure';
import { evaluateGates, gateReport } from '@govern/gates';
import { nextActionable, type GraphNode } from '@govern/graph';
import { loadConfig } from '@govern/workspace';
import { setStatus } from '@govern/write';
import type { z } from 'zod';
import type { OperationContext, ServiceOperation } from './context.js';
import { ServiceError } from './errors.js';
import { compilePackage } from './package.js';
import { retain } from './retention.js';
import * as S from './schemas.js';

/** The version of the operation table's wire contract (the OpenAPI `info.version`). */
export const SERVICE_API_VERSION = '1.0.0';

/** Defines one operation, keeping its input and output types together. */
function op<const N extends string, I extends z.ZodObject, O extends z.ZodObject>(def: ServiceOperation<I, O> & { name: N }): ServiceOperation<I, O> & { name: N } {
  return def;
}

function node(n: GraphNode): z.input<typeof S.NodeSchema> {
  return {
    id: n.id,
    kind: n.kind,
    title: n.title,
    status: n.status,
    status_text: n.statusText,
    depends_on: n.dependsOn,
    priority: n.priority,
    document: n.document,
    file: n.source.file,
    line: n.source.line,
    evidence_root: n.evidenceRoot,
  };
}

function statusWrite(r: Awaited<ReturnType<typeof setStatus>>): z.input<typeof S.StatusWriteOutput> {
  return { item: r.item, file: r.file, changed: r.changed, from: r.from, to: r.to, hash_before: r.hashBefore, hash_after: r.hashAfter, forced: r.forced };
}

async function writeStatus(ctx: OperationContext, a: { id: string; status: z.output<typeof S.SetStatusInput>['status']; expect?: string | undefined; force?: boolean; reason?: string | undefined }) {
  const ws = await ctx.workspace();
  const r = await setStatus({
    root: ctx.root,
    id: a.id,
    status: a.status,
    workspace: ws,
    ...(a.expect !== undefined ? { expect: a.expect } : {}),
    force: a.force === true,
    ...(a.reason !== undefined ? { reason: a.reason } : {}),
    actor: ctx.actor,
    via: `service:${ctx.via}`,
    now: ctx.now(),
  });
  return statusWrite(r);
}

/**
 * Every operation of the service runner (seed 003 PMEM-WP-0011 T01, adapted to
 * govern): its zod input and output, its effect, review rule and gate, and its
 * local runner path — the library function the CLI calls for the same job — or
 * the explicit reason it has none. The library (`runOperation`), HTTP
 * (`govern serve`) and MCP all dispatch on this one table.
 */
export const SERVICE_OPERATIONS = [
  op({
    name: 'health',
    summary: 'the runner is up: mode, store pack, operation counts, the gates it checks',
    description: 'Answers without checking any gate (a closed gate is reported, not refused), so a supervisor can probe a runner whose gates are closed.',
    input: S.EmptyInput,
    output: S.HealthOutput,
    effect: 'read',
    review: 'never',
    gate: null,
    library: '@govern/gates',
    subject: () => 'health',
    support: { kind: 'local', run: async (_input, ctx) => {
      const ws = await ctx.workspace();
      const wanted = new Set(ctx.gateNames);
      const gates = evaluateGates(ws)
        .value.filter((g) => wanted.has(g.name))
        .map((g) => ({ name: g.name, enabled: g.enabled, blocked_by: g.blockedBy.map((b) => b.id) }));
      return { ok: true, service: 'govern-service-runner', api_version: SERVICE_API_VERSION, mode: ctx.mode, store: ctx.storeName, operations: ctx.operations, gates } as const;
    } },
  }),
  op({
    name: 'graph.query',
    summary: 'milestones, workplans and tasks of the graph, filtered and paged',
    description: 'The nodes `govern graph --json` prints, filtered by kind, status, id prefix and document, in graph order, one page at a time.',
    input: S.GraphQueryInput,
    output: S.GraphQueryOutput,
    effect: 'read',
    review: 'never',
    gate: null,
    library: '@govern/graph',
    subject: () => 'graph',
    support: { kind: 'local', run: async (a, ctx) => {
      const ws = await ctx.workspace();
      const doc = a.document === undefined ? undefined : ws.documents.find((d) => d.id === a.document || d.file === a.document);
      if (a.document !== undefined && !doc) {
        throw new ServiceError('document-not-found', `no document ${a.document}: give a document id or its path relative to the root`, {
          operation: 'graph.query',
          kind: 'failure',
          reason: 'graph.document-not-found',
          status: 404,
          details: { document: a.document },
        });
      }
      const statuses = a.status ? new Set<string>(a.status) : null;
      const all = ws.index.graph.nodes.filter(
        (n) =>
          (!a.kind || a.kind.includes(n.kind as 'milestone')) &&
          (!statuses || statuses.has(n.status ?? 'unknown')) &&
          (a.id_prefix === undefined || n.id.startsWith(a.id_prefix)) &&
          (a.document === undefined || n.document === doc?.id),
      );
      const page = all.slice(a.offset, a.offset + a.limit);
      return {
        nodes: page.map(node),
        total: all.length,
        next_offset: a.offset + a.limit < all.length ? a.offset + a.limit : null,
        diagnostics: { errors: ws.diagnostics.filter((d) => d.severity === 'error').length, warnings: ws.diagnostics.filter((d) => d.severity === 'warning').length },
      };
    } },
  }),
  op({
    name: 'graph.next',
    summary: 'actionable items: not done, every dependency done, in dependency and priority order',
    description: 'What `govern next` lists.',
    input: S.GraphNextInput,
    output: S.GraphNextOutput,
    effect: 'read',
    review: 'never',
    gate: null,
    library: '@govern/graph',
    subject: () => 'graph',
    support: { kind: 'local', run: async (a, ctx) => ({ nodes: nextActionable((await ctx.workspace()).index).slice(0, a.limit).map(node) }) },
  }),
  op({
    name: 'gates.evaluate',
    summary: 'activation: which gates the milestone graph enables, and what blocks the others',
    description: 'What `govern gates --json` reports: every gate of govern.config.yaml, enabled when each milestone it requires is done.',
    input: S.GatesEvaluateInput,
    output: S.GatesEvaluateOutput,
    effect: 'read',
    review: 'never',
    gate: null,
    library: '@govern/gates',
    subject: (a) => a.name ?? 'gates',
    support: { kind: 'local', run: async (a, ctx) => {
      const gates = gateReport(await ctx.workspace()).gates.filter((g) => a.name === undefined || g.name === a.name);
      if (a.name !== undefined && !gates.length) {
        throw new ServiceError('gate-unknown', `no gate named ${a.name} is declared in govern.config.yaml`, { operation: 'gates.evaluate', kind: 'failure', reason: 'gate.unknown', status: 404, details: { gate: a.name } });
      }
      return {
        gates: gates.map((g) => ({
          name: g.name,
          enabled: g.enabled,
          project: g.project,
          requires: g.requires.map((r) => ({ id: r.id, status: r.status, done: r.done })),
          blocked_by: g.blockedBy.map((b) => b.id),
        })),
      };
    } },
  }),
  op({
    name: 'task.set_status',
    summary: "change one item's status token (locked, atomic, lifecycle-checked, audited)",
    description: 'What `govern task set-status` does. Denied in shadow mode; needs an approved review in prescriptive mode.',
    input: S.SetStatusInput,
    output: S.StatusWriteOutput,
    effect: 'write',
    review: 'prescriptive',
    gate: null,
    library: '@govern/write',
    subject: (a) => a.id,
    support: { kind: 'local', run: (a, ctx) => writeStatus(ctx, a) },
  }),
  op({
    name: 'task.close',
    summary: "run an item's checks, record its evidence, and set it done only if they pass",
    description: 'What `govern close` does. passed: false lists every failure (the attempt is still recorded in the evidence root).',
    input: S.CloseInput,
    output: S.CloseOutput,
    effect: 'write',
    review: 'prescriptive',
    gate: null,
    library: '@govern/closure',
    subject: (a) => a.id,
    support: { kind: 'local', run: async (a, ctx) => {
      const r = await closeItem({
        root: ctx.root,
        id: a.id,
        workspace: await ctx.workspace(),
        ...(a.timeout_seconds !== undefined ? { checkTimeoutMs: a.timeout_seconds * 1000 } : {}),
        force: a.force,
        ...(a.sign_off !== undefined ? { signOff: a.sign_off } : {}),
        ...(a.reason !== undefined ? { reason: a.reason } : {}),
        actor: ctx.actor,
        via: `service:${ctx.via}`,
        toolVersion: ctx.toolVersion,
        env: ctx.env,
        now: ctx.now,
      });
      return {
        item: r.item,
        file: r.file,
        passed: r.passed,
        failures: r.failures.map((f) => ({ code: f.code, message: f.message })),
        evidence_root: r.evidenceRoot,
        manifest: r.manifest,
        checks: r.checks.map((c) => ({ command: c.command, exit_code: c.exitCode })),
      };
    } },
  }),
  op({
    name: 'lifecycle.apply',
    summary: 'a reviewed status transition: denied (review.required) until a reviewer approves it, then applied once',
    description:
      'The first call records a review request and is denied with policy_reason_code review.required and its review_id; review.approve by someone other than the requester approves it; ' +
      'the same call again applies the transition under the profile lifecycle rules (no force) and consumes the review.',
    input: S.LifecycleApplyInput,
    output: S.LifecycleApplyOutput,
    effect: 'write',
    review: 'always',
    gate: null,
    library: '@govern/write',
    subject: (a) => a.id,
    support: { kind: 'local', run: async (a, ctx) => {
      const write = await writeStatus(ctx, { id: a.id, status: a.status, expect: a.expect, reason: `${a.reason} (review ${ctx.review!.review_id})` });
      return { review_id: ctx.review!.review_id, approved_by: ctx.review!.approved_by!, write };
    } },
  }),
  op({
    name: 'review.approve',
    summary: 'approve a pending review (recorded; the requester cannot approve their own)',
    description: 'Records the approval in the review ledger and the audit. Approving an approved review changes nothing.',
    input: S.ReviewApproveInput,
    output: S.ReviewSchema,
    effect: 'review',
    review: 'never',
    gate: null,
    library: '@govern/service-runner',
    subject: (a) => a.review_id,
    // Dispatched by the runner itself: it owns the ledger (runner.ts).
    support: { kind: 'local', run: async () => {
      throw new Error('review.approve is run by the runner');
    } },
  }),
  op({
    name: 'package.compile',
    summary: 'compile a workplan with its evidence into a content-addressed bundle',
    description: 'Writes .govern/packages/<bundle_id>/ (manifest.json listing every file with its sha256, and blobs/<sha256>); the same inputs give the same bundle id.',
    input: S.PackageCompileInput,
    output: S.PackageCompileOutput,
    effect: 'artifact',
    review: 'never',
    gate: null,
    library: '@govern/service-runner',
    subject: (a) => a.workplan,
    support: { kind: 'local', run: async (a, ctx) => compilePackage(await ctx.workspace(), a.workplan, 'package.compile') },
  }),
  op({
    name: 'audit.query',
    summary: "the service's audit: every write, review, denial and failure, with retention applied and shown",
    description: 'Reads the hash-chained audit of the store pack (store.audit), verifies it, applies the retention policy and filters. Denials carry policy_reason_code, failures failure_reason_code.',
    input: S.AuditQueryInput,
    output: S.AuditQueryOutput,
    effect: 'read',
    review: 'never',
    gate: null,
    library: '@govern/adapter-kit (store.audit)',
    subject: () => 'audit',
    support: { kind: 'local', run: async (a, ctx) => {
      const read = await (await ctx.adapters()).get('store.audit').read();
      const { retained, retention } = retain(read.entries, ctx.retention, ctx.now());
      const match = (e: AuditEntry) =>
        (a.operation === undefined || e.action === a.operation) &&
        (a.outcome === undefined || e.outcome === a.outcome) &&
        (a.subject === undefined || e.subject === a.subject) &&
        (a.policy_reason_code === undefined || e.policy_reason_code === a.policy_reason_code) &&
        (a.failure_reason_code === undefined || e.failure_reason_code === a.failure_reason_code) &&
        (a.review_id === undefined || e.data.review_id === a.review_id);
      const matched = retained.filter(match);
      return { store: ctx.storeName, entries: matched.slice(-a.limit), matched: matched.length, verified: read.verified, problems: read.problems, retention };
    } },
  }),
  op({
    name: 'memory.query',
    summary: "memoryd's query primitives (recent failures, gate rollup, guard denials, spans)",
    description: 'Sends the request to memoryd (GOVERN_MEMORYD_URL, default http://127.0.0.1:4318) and answers its rows; memoryd alone opens the memory store.',
    input: S.MemoryQueryInput,
    output: S.MemoryQueryOutput,
    effect: 'read',
    review: 'never',
    gate: 'memory-store',
    library: '@govern/memory-contract',
    subject: (a) => a.query.primitive,
    support: { kind: 'local', run: async (a, ctx) => ({ answer: await ctx.memory().query(a.query) }) },
  }),
  op({
    name: 'memory.upsert',
    summary: 'upsert an annotation on a memoryd span (idempotent, redacted, audited by memoryd)',
    description: 'Sends the upsert to memoryd. A write: denied in shadow mode, review-gated in prescriptive mode.',
    input: S.MemoryUpsertInput,
    output: S.MemoryUpsertOutput,
    effect: 'write',
    review: 'prescriptive',
    gate: 'memory-store',
    library: '@govern/memory-contract',
    subject: (a) => `${a.upsert.trace_id}/${a.upsert.span_id}`,
    support: { kind: 'local', run: async (a, ctx) => ({ result: await ctx.memory().upsert(a.upsert) }) },
  }),
  op({
    name: 'binder.suggest',
    summary: "the binder's eligible capsules as suggestions, per its rollout mode",
    description: "What `govern binder suggest --json` prints, from the binder database (.govern/binder/binder.duckdb) and the profile's binder section; none in shadow rollout.",
    input: S.BinderSuggestInput,
    output: S.BinderSuggestOutput,
    effect: 'read',
    review: 'never',
    gate: 'binder',
    library: '@govern/binder',
    subject: () => 'binder',
    support: { kind: 'local', run: async (a, ctx) => {
      const loaded = loadConfig(ctx.root);
      const file = loaded.config.profile ?? 'profiles/default.yaml';
      const { value, diagnostics } = binderConfig(loaded.profile.profile.binder, file);
      const errors = diagnostics.filter((d) => d.severity === 'error');
      if (errors.length) {
        throw new ServiceError('config-invalid', `${file}: the binder section is invalid: ${errors.map((d) => d.message).join('; ')}`, {
          operation: 'binder.suggest',
          kind: 'failure',
          reason: 'binder.config-invalid',
          status: 422,
          details: { file },
        });
      }
      const binder = await openBinder({ file: path.resolve(ctx.root, ctx.binderDb), config: value, now: ctx.now });
      try {
        const r = await binder.suggest(
          {
            ...(a.scope !== undefined ? { scope: a.scope } : {}),
            ...(a.target_kind !== undefined ? { target_kind: a.target_kind } : {}),
            ...(a.target_id !== undefined ? { target_id: a.target_id } : {}),
            ...(a.action_kind !== undefined ? { action_kind: a.action_kind } : {}),
            ...(a.failure_reason_code !== undefined ? { failure_reason_code: a.failure_reason_code } : {}),
            limit: a.limit,
          },
          ctx.now(),
        );
        return { ...r, suggestions: JSON.parse(JSON.stringify(r.suggestions)) as Record<string, z.core.util.JSONType>[] };
      } finally {
        await binder.close();
      }
    } },
  }),
  op({
    name: 'graph.import',
    summary: 'import a graph from another system (unsupported)',
    description: 'Listed so that a caller of the seed operation table gets an explicit answer instead of an undefined method.',
    input: S.GraphImportInput,
    output: S.GraphImportOutput,
    effect: 'write',
    review: 'prescriptive',
    gate: null,
    library: '(none)',
    subject: (a) => a.source,
    support: {
      kind: 'unsupported',
      reason:
        'govern reads workplans and trackers in place from Markdown: the files are the graph, so there is no store to import into. ' +
        'Add the documents under workplans/ or trackers/ (or a glob in govern.config.yaml) instead.',
    },
  }),
] as const satisfies readonly ServiceOperation[];

export type OperationName = (typeof SERVICE_OPERATIONS)[number]['name'];

/** Input and output types of an operation by name: `OperationInput<'task.set_status'>`. */
export type OperationOf<N extends OperationName> = Extract<(typeof SERVICE_OPERATIONS)[number], { name: N }>;
export type OperationInput<N extends OperationName> = z.input<OperationOf<N>['input']>;
export type OperationOutput<N extends OperationName> = z.output<OperationOf<N>['output']>;

/** The operation of this name, or undefined. */
export function operationNamed(name: string): ServiceOperation | undefined {
  return (SERVICE_OPERATIONS as readonly ServiceOperation[]).find((o) => o.name === name);
}
