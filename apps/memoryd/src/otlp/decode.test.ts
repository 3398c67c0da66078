import { DecodedTracesSchema, MAX_ATTRIBUTE_DEPTH, nestedDeeperThan, type AttrValue } from '@govern/memory-store';
import { describe, expect, it } from 'vitest';
import { deepJsonPayload, deepProtobufPayload, jsonPayload, protobufPayload, readableSpans, type DeepIn } from '../testing/otlp.js';
import { validId } from './common.js';
import { decodeJsonTraces, decodeProtobufTraces, decodeSpooled, DecodeError, exportResponse, statusResponse, type DecodeInfo } from './index.js';

// 2026-02-13T16:26:40.000000123Z: a time whose nanoseconds do not survive a JS number.
const SPANS = readableSpans({ attributes: { 'service.name': 'govern', 'process.pid': 4242, 'host.arch': 'amd64' } }, [
  {
    traceId: '0AF7651916CD43DD8448EB211C80319C',
    spanId: 'b7ad6b7169203331',
    parentSpanId: '00f067aa0ba902b7',
    name: 'govern.write',
    kind: 0,
    start: [1_771_000_000, 123],
    end: [1_771_000_001, 456],
    attributes: { 'govern.stage': 'write', count: 3, ratio: 0.5, ok: true, tags: ['a', 'b'], big: 2 ** 53 + 2, policy_reason_code: 'dependencies-not-done' },
    events: [{ name: 'guard.denied', time: [1_771_000_000, 999], attributes: { policy_reason_code: 'dependencies-not-done' } }],
    status: { code: 2, message: 'refused' },
  },
  { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: '00f067aa0ba902b7', name: 'govern.run', kind: 1, start: [1_771_000_000, 0], end: [1_771_000_002, 0] },
]);

const EXPECTED = {
  resourceSpans: [
    {
      resource: { 'service.name': 'govern', 'process.pid': 4242, 'host.arch': 'amd64' },
      scopeSpans: [
        {
          scope: { name: 'govern', version: '0.1.0' },
          spans: [
            {
              traceId: '0af7651916cd43dd8448eb211c80319c',
              spanId: 'b7ad6b7169203331',
              parentSpanId: '00f067aa0ba902b7',
              name: 'govern.write',
              kind: 1,
              startNs: 1_771_000_000_000_000_123n,
              endNs: 1_771_000_001_000_000_456n,
              // int64 beyond 2^53: a decimal string (exact), from either encoding.
              attributes: { 'govern.stage': 'write', count: 3, ratio: 0.5, ok: true, tags: ['a', 'b'], big: '9007199254740994', policy_reason_code: 'dependencies-not-done' },
              events: [{ timeNs: 1_771_000_000_000_000_999n, name: 'guard.denied', attributes: { policy_reason_code: 'dependencies-not-done' } }],
              statusCode: 2,
              statusMessage: 'refused',
            },
            {
              traceId: '0af7651916cd43dd8448eb211c80319c',
              spanId: '00f067aa0ba902b7',
              parentSpanId: null,
              name: 'govern.run',
              kind: 2,
              startNs: 1_771_000_000_000_000_000n,
              endNs: 1_771_000_002_000_000_000n,
              attributes: {},
              events: [],
              statusCode: 0,
              statusMessage: null,
            },
          ],
        },
      ],
    },
  ],
  spans: 2,
  rejected: 0,
  errors: [],
};

describe('OTLP decoders, on the bytes the OTel exporter sends', () => {
  it('protobuf: exact nanoseconds, hex ids, typed attributes', () => {
    const d = decodeProtobufTraces(protobufPayload(SPANS));
    expect(d).toEqual(EXPECTED);
    expect(DecodedTracesSchema.safeParse(d).success).toBe(true);
  });

  it('protobuf: strings and ids served from the intern table are the ones in the bytes', () => {
    const one = readableSpans({ attributes: { ab: 'xy', 'service.name': 'a' } }, [
      { traceId: '11'.repeat(16), spanId: '22'.repeat(8), name: 'ab', start: [1, 0], end: [2, 0], attributes: { xy: 'ab' } },
    ]);
    const two = readableSpans({ attributes: { ba: 'yx', 'service.name': 'b' } }, [
      { traceId: '22'.repeat(16), spanId: '11'.repeat(8), parentSpanId: '22'.repeat(8), name: 'ba', start: [1, 0], end: [2, 0], attributes: { yx: 'ba' } },
    ]);
    for (let round = 0; round < 2; round++) {
      const a = decodeProtobufTraces(protobufPayload(one)).resourceSpans[0]!;
      const b = decodeProtobufTraces(protobufPayload(two)).resourceSpans[0]!;
      expect([a.resource, a.scopeSpans[0]!.spans[0]!.name, a.scopeSpans[0]!.spans[0]!.attributes, a.scopeSpans[0]!.spans[0]!.traceId]).toEqual([{ ab: 'xy', 'service.name': 'a' }, 'ab', { xy: 'ab' }, '11'.repeat(16)]);
      expect([b.resource, b.scopeSpans[0]!.spans[0]!.name, b.scopeSpans[0]!.spans[0]!.parentSpanId, b.scopeSpans[0]!.spans[0]!.traceId]).toEqual([{ ba: 'yx', 'service.name': 'b' }, 'ba', '22'.repeat(8), '22'.repeat(16)]);
    }
  });

  it('JSON: the same result as protobuf', () => {
    expect(decodeJsonTraces(jsonPayload(SPANS))).toEqual(EXPECTED);
  });

  it('JSON and protobuf agree on text beyond ASCII (an ASCII JSON body takes a faster path to a string)', () => {
    const text = readableSpans({ attributes: { 'service.name': 'gövern' } }, [
      { traceId: '11'.repeat(16), spanId: '22'.repeat(8), name: 'schließen ✓', start: [1, 0], end: [2, 0], attributes: { note: 'naïve — 日本語 🚀' } },
    ]);
    const fromJson = decodeJsonTraces(jsonPayload(text));
    expect(fromJson).toEqual(decodeProtobufTraces(protobufPayload(text)));
    expect(fromJson.resourceSpans[0]!.scopeSpans[0]!.spans[0]).toMatchObject({ name: 'schließen ✓', attributes: { note: 'naïve — 日本語 🚀' } });
    expect(fromJson.resourceSpans[0]!.resource).toEqual({ 'service.name': 'gövern' });
  });

  it('ids from JSON: 16 or 32 hex digits in either case, lowercased; all zeros, other lengths or other characters are invalid', () => {
    const cases: [string, 32 | 16, string | null][] = [
      ['00f067aa0ba902b7', 16, '00f067aa0ba902b7'],
      ['00F067AA0BA902B7', 16, '00f067aa0ba902b7'],
      ['0af7651916Cd43dd8448eb211c80319c', 32, '0af7651916cd43dd8448eb211c80319c'],
      ['0000000000000000', 16, null],
      ['0000000000000001', 16, '0000000000000001'],
      ['00f067aa0ba902b', 16, null],
      ['00f067aa0ba902b7', 32, null],
      ['00f067aa0ba902g7', 16, null],
      ['00f067aa0ba902-7', 16, null],
      ['00f067aa0ba902 7', 16, null],
      ['', 16, null],
    ];
    expect(cases.map(([hex, digits]) => validId(hex, digits))).toEqual(cases.map(([, , want]) => want));
  });

  it('a span with an invalid id or time is rejected alone (partial success)', () => {
    const body = JSON.parse(jsonPayload(SPANS).toString('utf8'));
    body.resourceSpans[0].scopeSpans[0].spans[1].spanId = '0000000000000000';
    body.resourceSpans[0].scopeSpans[0].spans[0].endTimeUnixNano = '12';
    expect(decodeJsonTraces(Buffer.from(JSON.stringify(body)))).toMatchObject({
      spans: 0,
      rejected: 2,
      errors: ['span with a missing or invalid startTimeUnixNano/endTimeUnixNano', 'span with a missing or invalid traceId/spanId'],
    });
  });

  it('a body that is not a request is a DecodeError', () => {
    expect(() => decodeJsonTraces(Buffer.from('{"resourceSpans": 3}'))).toThrow(DecodeError);
    expect(() => decodeJsonTraces(Buffer.from('not json'))).toThrow(/not JSON/);
    const pb = protobufPayload(SPANS);
    expect(() => decodeProtobufTraces(pb.subarray(0, pb.length - 7))).toThrow(DecodeError);
    expect(() => decodeProtobufTraces(Buffer.from([0x0a, 0xff, 0xff, 0xff, 0x0f]))).toThrow(/truncated/);
  });
});

// A minimal protobuf writer, for requests the SDK never sends (fields twice, unknown fields).
const varint = (n: number): number[] => (n < 0x80 ? [n] : [(n & 0x7f) | 0x80, ...varint(n >>> 7)]);
const len = (field: number, bytes: number[]): number[] => [...varint((field << 3) | 2), ...varint(bytes.length), ...bytes];
const str = (field: number, s: string): number[] => len(field, [...Buffer.from(s)]);
const fixed64 = (field: number, v: bigint): number[] => {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(v);
  return [...varint((field << 3) | 1), ...b];
};
const kv = (key: string, value: number[]) => len(9, [...str(1, key), ...len(2, value)]);
/** A request of one span: `extra` is appended to the span message. */
function request(extra: number[] = []): Buffer {
  const span = [...len(1, Array(16).fill(0xab)), ...len(2, Array(8).fill(0xcd)), ...str(5, 'govern.write'), ...fixed64(7, 10n), ...fixed64(8, 20n), ...kv('k', str(1, 'v')), ...extra];
  return Buffer.from(len(1, len(2, len(2, span))));
}
function opaque(body: Buffer): number {
  const info: DecodeInfo = { opaque: -1 };
  decodeProtobufTraces(body, info);
  return info.opaque;
}

describe('bounded: attribute values nest at most MAX_ATTRIBUTE_DEPTH levels', () => {
  const decoders = { json: (d: number, o: { maps?: boolean; in?: DeepIn }) => decodeJsonTraces(deepJsonPayload(d, o)), protobuf: (d: number, o: { maps?: boolean; in?: DeepIn }) => decodeProtobufTraces(deepProtobufPayload(d, o)) };
  /** How deep a decoded value nests (iteratively). */
  const depthOf = (v: AttrValue) => {
    let d = 0;
    while (nestedDeeperThan(v, d)) d++;
    return d;
  };

  for (const [wire, decode] of Object.entries(decoders)) {
    it(`${wire}: ${MAX_ATTRIBUTE_DEPTH} levels are kept as sent; one more rejects the span, in its attributes or an event's`, () => {
      expect(MAX_ATTRIBUTE_DEPTH).toBe(32);
      for (const maps of [false, true]) {
        const ok = decode(32, { maps });
        expect(ok).toMatchObject({ spans: 1, rejected: 0 });
        expect(depthOf(ok.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes.deep!)).toBe(32);
        const okEvent = decode(32, { maps, in: 'event' });
        expect(depthOf(okEvent.resourceSpans[0]!.scopeSpans[0]!.spans[0]!.events[0]!.attributes.deep!)).toBe(32);
        for (const where of ['span', 'event'] as const) {
          expect(decode(33, { maps, in: where })).toMatchObject({ spans: 0, rejected: 1, errors: ['span with an attribute value nested deeper than 32 levels'] });
        }
      }
      expect(depthOf(decode(32, { in: 'resource' }).resourceSpans[0]!.resource.deep!)).toBe(32);
      expect(() => decode(33, { in: 'resource' })).toThrow(new DecodeError('a resource attribute value is nested deeper than 32 levels'));
    });

    it(`${wire}: a value nested 100,000 deep is cut, not recursed into (no stack overflow)`, () => {
      expect(decode(100_000, { maps: true })).toMatchObject({ spans: 0, rejected: 1 });
      expect(() => decode(100_000, { in: 'resource' })).toThrow(DecodeError);
    });
  }

  it('the spool encoding: a frame written before the bound, holding a deeper value, does not decode (a DecodeError, checked without recursion)', () => {
    const frame = (depth: number) =>
      Buffer.from(
        `{"v":1,"spans":1,"rejected":0,"errors":[],"rs":[{"r":{},"ss":[{"n":"s","v":null,"s":[["0000000000000000000000000000abcd","000000000000abcd",null,"n",1,"1","2",` +
          `{"deep":${'['.repeat(depth)}"leaf"${']'.repeat(depth)}},[],0,null]]}]}]}`,
      );
    expect(decodeSpooled(frame(32))).toMatchObject({ spans: 1 });
    for (const depth of [33, 100_000]) {
      expect(() => decodeSpooled(frame(depth))).toThrow(new DecodeError('spooled payload holds a span (000000000000abcd) with an attribute value nested deeper than 32 levels'));
    }
  });
});

describe('protobuf DecodeInfo.opaque: text of the payload the decoded spans do not show', () => {
  it('is 0 for what the OTel exporter sends, and for a plain request', () => {
    expect(opaque(protobufPayload(SPANS))).toBe(0);
    expect(opaque(request())).toBe(0);
    expect(decodeProtobufTraces(request()).resourceSpans[0]!.scopeSpans[0]!.spans[0]).toMatchObject({ name: 'govern.write', attributes: { k: 'v' } });
  });

  it('counts skipped length-delimited fields, bytes values, and fields or keys sent twice', () => {
    expect({
      traceState: opaque(request(str(3, 'vendor=secret'))),
      link: opaque(request(len(13, [...len(1, Array(16).fill(1)), ...len(2, Array(8).fill(2))]))),
      unknownField: opaque(request(str(99, 'x'))),
      bytesValue: opaque(request(kv('b', len(7, [1, 2, 3])))),
      keyTwice: opaque(request(kv('k', str(1, 'w')))),
      nameTwice: opaque(request(str(5, 'other'))),
      valueTwice: opaque(request(len(9, [...str(1, 'x'), ...len(2, [...str(1, 'a'), ...str(1, 'b')])]))),
      statusTwice: opaque(request(len(15, [...str(2, 'a'), ...str(2, 'b')]))),
      // Not text: a varint field the decoder does not read (dropped_attributes_count).
      droppedCount: opaque(request([...varint((10 << 3) | 0), 3])),
    }).toEqual({ traceState: 1, link: 1, unknownField: 1, bytesValue: 1, keyTwice: 1, nameTwice: 1, valueTwice: 1, statusTwice: 1, droppedCount: 0 });
    // The last value wins, as protobuf requires.
    expect(decodeProtobufTraces(request(kv('k', str(1, 'w')))).resourceSpans[0]!.scopeSpans[0]!.spans[0]!.attributes).toEqual({ k: 'w' });
  });
});

describe('responses', () => {
  it('ExportTraceServiceResponse and google.rpc.Status in both encodings', () => {
    expect(exportResponse('json', 0, '')).toEqual(Buffer.from('{}'));
    expect(JSON.parse(exportResponse('json', 2, 'bad ids').toString())).toEqual({ partialSuccess: { rejectedSpans: '2', errorMessage: 'bad ids' } });
    expect(exportResponse('protobuf', 0, '')).toEqual(Buffer.alloc(0));
    // field 1 (len 9) { field 1 varint 2, field 2 "bad ids" }
    expect([...exportResponse('protobuf', 2, 'bad ids')]).toEqual([0x0a, 11, 0x08, 2, 0x12, 7, ...Buffer.from('bad ids')]);
    expect(JSON.parse(statusResponse('json', 3, 'nope').toString())).toEqual({ code: 3, message: 'nope' });
    expect([...statusResponse('protobuf', 3, 'nope')]).toEqual([0x08, 3, 0x12, 4, ...Buffer.from('nope')]);
  });
});
