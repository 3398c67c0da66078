import { emptyBatch, toFacts, type FactBatch } from '@govern/memory-store';
import { describe, expect, it } from 'vitest';
import { decodeProtobufTraces } from './otlp/index.js';
import { packFacts, unpackFacts } from './packed.js';
import { numberedSpans, protobufPayload, readableSpans } from './testing/otlp.js';

const facts = (): FactBatch => toFacts(decodeProtobufTraces(protobufPayload(readableSpans({ attributes: { 'service.name': 'govern', 'process.pid': 3 } }, numberedSpans(0, 12)))).resourceSpans);

describe('packed facts (to the store worker)', () => {
  it('unpack gives back the same rows, field for field and in schema key order', () => {
    const batch = facts();
    // Every kind of value is in there: strings, nulls, bigints, integers, booleans.
    expect(batch.tasks.some((t) => t.parent_span_id === null) && batch.events.some((e) => e.is_guard_denial)).toBe(true);
    const { packed, transfer } = packFacts(batch);
    const back = unpackFacts(structuredClone(packed, { transfer }), emptyBatch());
    expect(back).toEqual(batch);
    expect(back.tasks.map((t) => Object.keys(t))).toEqual(batch.tasks.map((t) => Object.keys(t)));
    expect(back.events.map((e) => Object.keys(e))).toEqual(batch.events.map((e) => Object.keys(e)));
  });

  it('each distinct string crosses once, span ids apart (unique per span, so not looked up)', () => {
    const batch = facts();
    const { packed } = packFacts(batch);
    const rows = [...batch.tasks, ...batch.events];
    const spanIds = new Set(rows.map((r) => r.span_id));
    const seen = new Set<string>();
    const repeated = packed.strings.filter((v) => (seen.has(v) ? true : (seen.add(v), false)));
    expect(repeated.every((v) => spanIds.has(v))).toBe(true);
    const values = rows.flatMap((r) => Object.values(r).filter((v) => typeof v === 'string')).length;
    expect(packed.strings.length).toBeLessThan(values / 4);
    expect(new Set(packed.strings)).toEqual(new Set(rows.flatMap((r) => Object.values(r).filter((v) => typeof v === 'string'))));
  });
});
