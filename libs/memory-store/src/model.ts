import { z } from 'zod';

/**
 * The spans the store ingests, as decoded from OTLP (JSON or protobuf) by
 * memoryd: ids as lowercase hex, times as integer nanoseconds (`bigint`: a
 * Unix time in ns exceeds 2^53), attributes as plain values. int64 attribute
 * values become numbers when they fit 2^53 and decimal strings otherwise;
 * bytes values become base64 strings.
 *
 * The decoders build these objects directly (the ingest path does not run zod
 * on every span); the schemas are the types' source and what tests check the
 * decoders' output against.
 */
export type AttrValue = string | number | boolean | null | AttrValue[] | { [key: string]: AttrValue };
export const AttrValueSchema: z.ZodType<AttrValue> = z.lazy(() =>
  z.union([z.string(), z.number(), z.boolean(), z.null(), z.array(AttrValueSchema), z.record(z.string(), AttrValueSchema)]),
);
export const AttributesSchema = z.record(z.string(), AttrValueSchema);
export type Attributes = z.infer<typeof AttributesSchema>;

/**
 * How deeply an attribute value may nest: arrays and maps inside arrays and maps, at
 * most this many levels (a string is 0 levels, `[1]` one, `[[1]]` two). memoryd's
 * decoders reject a span holding a value nested deeper (and refuse a payload whose
 * resource holds one), so what comes after them — redaction, the spool encoding, the
 * facts' canonical JSON, all recursive — never meets one: a value nested 2,000 deep
 * overflowed the stack there.
 */
export const MAX_ATTRIBUTE_DEPTH = 32;

/**
 * True when `value` nests arrays and maps more than `max` levels deep (see
 * {@link MAX_ATTRIBUTE_DEPTH}). Iterative: it never overflows the stack itself, whatever
 * it is given (values read back from disk or parsed from a request body).
 */
export function nestedDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth >= max) return true;
    for (const x of Array.isArray(v) ? v : Object.values(v)) if (x !== null && typeof x === 'object') stack.push([x, depth + 1]);
  }
  return false;
}

/**
 * Sets an attribute on a plain object. Keys come from the wire: `__proto__`
 * assigned with `=` would replace the object's prototype instead of adding a
 * key, so it is defined as an own property.
 */
export function setAttr(into: Attributes, key: string, value: AttrValue): void {
  if (key === '__proto__') Object.defineProperty(into, key, { value, enumerable: true, writable: true, configurable: true });
  else into[key] = value;
}

const hex = (n: number) => z.string().regex(new RegExp(`^[0-9a-f]{${n}}$`));

export const SpanEventSchema = z.object({
  timeNs: z.bigint(),
  name: z.string(),
  attributes: AttributesSchema,
});
export type SpanEvent = z.infer<typeof SpanEventSchema>;

export const SpanSchema = z.object({
  traceId: hex(32),
  spanId: hex(16),
  parentSpanId: hex(16).nullable(),
  name: z.string(),
  /** OTLP SpanKind: 0 unspecified, 1 internal, 2 server, 3 client, 4 producer, 5 consumer. */
  kind: z.int().min(0).max(5),
  startNs: z.bigint(),
  endNs: z.bigint(),
  attributes: AttributesSchema,
  events: z.array(SpanEventSchema),
  /** OTLP StatusCode: 0 unset, 1 ok, 2 error. */
  statusCode: z.union([z.literal(0), z.literal(1), z.literal(2)]),
  statusMessage: z.string().nullable(),
});
export type Span = z.infer<typeof SpanSchema>;

export const ScopeSpansSchema = z.object({
  scope: z.object({ name: z.string(), version: z.string().nullable() }),
  spans: z.array(SpanSchema),
});
export type ScopeSpans = z.infer<typeof ScopeSpansSchema>;

export const ResourceSpansSchema = z.object({
  resource: AttributesSchema,
  scopeSpans: z.array(ScopeSpansSchema),
});
export type ResourceSpans = z.infer<typeof ResourceSpansSchema>;

/** One decoded export request: the valid spans, and how many were rejected and why (OTLP partial success). */
export const DecodedTracesSchema = z.object({
  resourceSpans: z.array(ResourceSpansSchema),
  spans: z.int().min(0),
  rejected: z.int().min(0),
  /** At most a few distinct messages, for the partial-success `errorMessage`. */
  errors: z.array(z.string()),
});
export type DecodedTraces = z.infer<typeof DecodedTracesSchema>;
