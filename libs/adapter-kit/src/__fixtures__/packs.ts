import fs from 'node:fs';
import path from 'node:path';
import type { EventStore } from '../capabilities.js';
import { adapterDenial, adapterFailure, FAILURE_REASONS, POLICY_REASONS } from '../errors.js';
import { KIT_CONTRACTS, type CompatibilityManifest } from '../manifest.js';
import { pageEvents } from '../helpers.js';
import { definePack, type PackContext } from '../pack.js';
import { EventInputSchema, KeySchema, type EventRecord } from '../records.js';

/**
 * Packs for the kit's own tests: a small conformant one (store.event in memory)
 * and deliberately broken variants of it, each breaking one rule of the
 * standard. They live in a module of their own (not in a test file) because the
 * determinism subcheck imports the pack's module in another process.
 */

type Quirk = 'real-clock' | 'trespass' | 'mixed-reasons' | 'raw-error' | 'extra-field' | 'undeclared-capability' | 'missing-capability';

export function manifestFor(name: string, patch: Partial<CompatibilityManifest> = {}): CompatibilityManifest {
  return {
    schema: 'govern.adapter-manifest/v1',
    name,
    package: '@govern/adapter-kit',
    version: '1.0.0',
    description: `test pack ${name}: store.event in memory`,
    capabilities: ['store.event'],
    durability: 'ephemeral',
    contracts: Object.entries(KIT_CONTRACTS).map(([n, version]) => ({ name: n, version })),
    ownership: { paths: [], tables: [], remote: [] },
    conformance: ['govern-conformance/1'],
    ...patch,
  };
}

function memoEvents(ctx: PackContext, quirks: readonly Quirk[]): EventStore {
  const streams = new Map<string, EventRecord[]>();
  const key = (stream: string) => {
    if (!KeySchema.safeParse(stream).success) throw adapterFailure(FAILURE_REASONS.recordInvalid, `${JSON.stringify(stream)} is not a stream name`);
  };
  return {
    async append(stream, events, opts = {}) {
      if (ctx.readOnly) {
        if (quirks.includes('mixed-reasons')) throw adapterFailure(FAILURE_REASONS.storeIo, 'read-only'); // a denial reported as a failure
        throw adapterDenial(POLICY_REASONS.readOnly, 'this instance is read-only');
      }
      key(stream);
      const parsed = events.map((e) => EventInputSchema.safeParse(e));
      if (parsed.some((p) => !p.success)) throw adapterFailure(FAILURE_REASONS.recordInvalid, 'an event is invalid');
      const list = streams.get(stream) ?? [];
      if (opts.expectedSeq !== undefined && opts.expectedSeq !== list.length) {
        if (quirks.includes('raw-error')) throw new Error(`conflict at ${list.length}`);
        throw adapterFailure(FAILURE_REASONS.conflict, `${stream} is at ${list.length}, not ${opts.expectedSeq}`);
      }
      if (quirks.includes('trespass')) fs.writeFileSync(path.join(ctx.root, 'README.md'), 'overwritten by a pack\n');
      const records = parsed.map((p, i): EventRecord => {
        const e = p.data!;
        const at = e.at ?? (quirks.includes('real-clock') ? new Date(Date.now() + Math.floor(Math.random() * 1e6)).toISOString() : ctx.now().toISOString());
        return { schema: 'govern.event/v1', stream, seq: list.length + i + 1, type: e.type, at, data: e.data, ...(quirks.includes('extra-field') ? { note: 'extra' } : {}) };
      });
      streams.set(stream, [...list, ...records]);
      return structuredClone(records);
    },
    async list(stream, opts = {}) {
      key(stream);
      return structuredClone(pageEvents(streams.get(stream) ?? [], opts));
    },
    async streams() {
      return [...streams.keys()].sort();
    },
  };
}

function memoPack(name: string, quirks: readonly Quirk[] = [], patch: Partial<CompatibilityManifest> = {}) {
  return definePack({
    manifest: manifestFor(name, patch) as CompatibilityManifest & { capabilities: ['store.event'] },
    module: import.meta.url,
    create: (ctx) => {
      const events = memoEvents(ctx, quirks);
      const capabilities = quirks.includes('missing-capability') ? {} : quirks.includes('undeclared-capability') ? { 'store.event': events, github: { openClosurePr: () => Promise.reject(new Error('no')) } } : { 'store.event': events };
      return { capabilities: capabilities as { 'store.event': EventStore }, close: async () => {} };
    },
  });
}

/** Conformant: passes every subcheck. */
export const memoEventsPack = memoPack('memo-events');
/** Stamps events with the real clock plus noise: two runs differ. */
export const realClockPack = memoPack('memo-real-clock', ['real-clock']);
/** Overwrites README.md in its root, which it does not own. */
export const trespassingPack = memoPack('memo-trespass', ['trespass']);
/** Reports its read-only denial as a failure, and a conflict as a raw Error. */
export const mixedReasonsPack = memoPack('memo-mixed-reasons', ['mixed-reasons', 'raw-error']);
/** Returns events with a field the record schema does not have. */
export const extraFieldPack = memoPack('memo-extra-field', ['extra-field']);
/** Provides github without declaring it. */
export const undeclaredPack = memoPack('memo-undeclared', ['undeclared-capability']);
/** Declares store.event, provides nothing. */
export const missingPack = memoPack('memo-missing', ['missing-capability']);
