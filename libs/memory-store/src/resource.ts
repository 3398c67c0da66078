import crypto from 'node:crypto';
import { setAttr, type AttrValue, type Attributes } from './model.js';

/**
 * Resource attributes that differ between two processes emitting the same
 * telemetry: a process id, a host or instance identity, the command line. They
 * are stored (in `resource_volatile`, for debugging) but never enter a key —
 * `resource_key` is computed without them, and the facts' own keys are trace
 * and span ids — so the same spans replayed from another process, host or
 * container are the same facts.
 */
export const VOLATILE_RESOURCE_KEYS: ReadonlySet<string> = new Set([
  'process.pid',
  'process.parent_pid',
  'process.command',
  'process.command_args',
  'process.command_line',
  'process.executable.path',
  'process.owner',
  'process.creation.time',
  'host.id',
  'host.name',
  'host.ip',
  'host.mac',
  'service.instance.id',
  'container.id',
  'container.name',
  'k8s.pod.uid',
  'k8s.pod.name',
]);

export interface ResourceSplit {
  /** sha256 (first 32 hex digits) of the canonical JSON of the stable attributes. */
  key: string;
  serviceName: string | null;
  /** Canonical JSON of the stable attributes. */
  stable: string;
  /** Canonical JSON of the volatile attributes (`{}` when none). */
  volatile: string;
}

/** Splits a resource into its stable identity (hashed into `resource_key`) and its volatile attributes. */
export function splitResource(attrs: Attributes): ResourceSplit {
  const stable: Attributes = {};
  const volatile: Attributes = {};
  for (const [k, v] of Object.entries(attrs)) setAttr(VOLATILE_RESOURCE_KEYS.has(k) ? volatile : stable, k, v);
  const stableJson = canonicalJson(stable);
  const serviceName = typeof attrs['service.name'] === 'string' ? attrs['service.name'] : null;
  return { key: crypto.createHash('sha256').update(stableJson).digest('hex').slice(0, 32), serviceName, stable: stableJson, volatile: canonicalJson(volatile) };
}

/**
 * JSON with object keys sorted (recursively): the same attributes give the
 * same bytes whatever order an exporter sent them in. `omit` leaves out
 * top-level keys (the facts omit attributes they promoted to columns).
 */
export function canonicalJson(value: AttrValue | Attributes, omit?: readonly string[]): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  // Fast path (the common case, once per span on the ingest path): a flat map of
  // primitives or arrays of primitives, copied in key order and serialized natively
  // (measured faster than a key-list replacer, which leaves V8's fast serializer).
  if (!Array.isArray(value) && isFlat(value)) {
    const keys = Object.keys(value).sort();
    const sorted: Attributes = {};
    for (const k of keys) if (!omit?.includes(k)) setAttr(sorted, k, value[k]!);
    return JSON.stringify(sorted);
  }
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v)).join(',')}]`;
  const keys = Object.keys(value).filter((k) => !omit?.includes(k));
  // Most attribute maps are small; skip the sort when they already are in order.
  let sorted = true;
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) sorted = false;
  if (!sorted) keys.sort();
  let out = '{';
  for (let i = 0; i < keys.length; i++) {
    const k = keys[i]!;
    out += `${i ? ',' : ''}${JSON.stringify(k)}:${canonicalJson(value[k]!)}`;
  }
  return `${out}}`;
}

function isFlat(o: Attributes): boolean {
  for (const k in o) {
    const v = o[k];
    if (v !== null && typeof v === 'object') {
      if (!Array.isArray(v)) return false;
      for (const x of v) if (x !== null && typeof x === 'object') return false;
    }
  }
  return true;
}
