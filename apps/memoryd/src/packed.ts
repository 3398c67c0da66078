import { EventFactSchema, TaskFactSchema, type EventFact, type FactBatch, type ResourceRow, type TaskFact } from '@govern/memory-store';

/**
 * Facts packed to cross to the store worker (store-thread.ts). Structured
 * clone of the rows as objects copies every field of every row and allocates
 * each string again on the other side (an earlier attempt measured that costing
 * more than the worker saved). Packed, the values go by column order into typed
 * arrays that are *transferred* (no copy), and each distinct string crosses
 * once: most columns repeat within a payload (names, stages, reason codes, run
 * and resource ids), so a frame of 512 spans carries a few hundred strings,
 * not 13,000.
 *
 * Column order is the zod schemas' (TaskFactSchema, EventFactSchema), which
 * is also the tables' (writeTask, writeEvent).
 */
export interface PackedRows {
  rows: number;
  /** One per value, row after row: what the value is (see TAG). */
  tags: Uint8Array;
  /** One per value: the string's index in `strings`, the integer, or the boolean (0/1). */
  values: Int32Array;
  /** The bigint values, in order. */
  bigints: BigInt64Array;
}

export interface PackedFacts {
  strings: string[];
  tasks: PackedRows;
  events: PackedRows;
  resources: ResourceRow[];
}

const TAG = { null: 0, string: 1, bigint: 2, integer: 3, boolean: 4 } as const;
const TASK_KEYS = Object.keys(TaskFactSchema.shape) as (keyof TaskFact)[];
const EVENT_KEYS = Object.keys(EventFactSchema.shape) as (keyof EventFact)[];

/** The facts of one frame, packed; `transfer` lists the buffers to move with postMessage. */
export function packFacts(batch: FactBatch): { packed: PackedFacts; transfer: ArrayBuffer[] } {
  const strings: string[] = [];
  const index = new Map<string, number>();
  const tasks = packRows(batch.tasks, TASK_KEYS, strings, index);
  const events = packRows(batch.events, EVENT_KEYS, strings, index);
  return {
    packed: { strings, tasks, events, resources: [...batch.resources.values()] },
    transfer: [tasks.tags.buffer, tasks.values.buffer, tasks.bigints.buffer, events.tags.buffer, events.values.buffer, events.bigints.buffer] as ArrayBuffer[],
  };
}

/** The facts back as rows, added to `into`. */
export function unpackFacts(p: PackedFacts, into: FactBatch): FactBatch {
  const t = new Cursor(p.tasks, p.strings);
  for (let r = 0; r < p.tasks.rows; r++) into.tasks.push(taskRow(t));
  const e = new Cursor(p.events, p.strings);
  for (let r = 0; r < p.events.rows; r++) into.events.push(eventRow(e));
  for (const r of p.resources) into.resources.set(r.resource_key, r);
  return into;
}

/** Reads packed values in order. */
class Cursor {
  private i = 0;
  private b = 0;
  constructor(
    private readonly p: PackedRows,
    private readonly strings: string[],
  ) {}

  v(): never {
    const i = this.i++;
    const tag = this.p.tags[i];
    const v = tag === TAG.string ? this.strings[this.p.values[i]!] : tag === TAG.bigint ? this.p.bigints[this.b++] : tag === TAG.integer ? this.p.values[i] : tag === TAG.boolean ? this.p.values[i] === 1 : null;
    return v as never;
  }
}

// Object literals (one hidden class per table, unlike keys assigned in a loop, which measured
// several times slower and made most of the worker's garbage). Properties are evaluated in
// order, so each literal must list its schema's keys in schema order: the round-trip test
// (packed.test.ts) fails otherwise.
const taskRow = (c: Cursor): TaskFact => ({
  trace_id: c.v(),
  span_id: c.v(),
  parent_span_id: c.v(),
  name: c.v(),
  kind: c.v(),
  start_ns: c.v(),
  end_ns: c.v(),
  duration_ns: c.v(),
  status_code: c.v(),
  status_message: c.v(),
  outcome: c.v(),
  failure_reason_code: c.v(),
  failure_reason_source: c.v(),
  policy_reason_code: c.v(),
  run_id: c.v(),
  command: c.v(),
  stage: c.v(),
  document_id: c.v(),
  item_id: c.v(),
  service_name: c.v(),
  scope_name: c.v(),
  scope_version: c.v(),
  resource_key: c.v(),
  event_count: c.v(),
  attributes: c.v(),
  resource_volatile: c.v(),
});

const eventRow = (c: Cursor): EventFact => ({
  trace_id: c.v(),
  span_id: c.v(),
  event_index: c.v(),
  name: c.v(),
  time_ns: c.v(),
  is_guard_denial: c.v(),
  failure_reason_code: c.v(),
  failure_reason_source: c.v(),
  policy_reason_code: c.v(),
  run_id: c.v(),
  item_id: c.v(),
  stage: c.v(),
  attributes: c.v(),
});

function packRows<T extends object>(rows: readonly T[], keys: readonly (keyof T)[], strings: string[], index: Map<string, number>): PackedRows {
  const n = rows.length * keys.length;
  const tags = new Uint8Array(n);
  const values = new Int32Array(n);
  let bigints = new BigInt64Array(rows.length * 3);
  let b = 0;
  let i = 0;
  // Most columns repeat the row before (a run's spans share trace, run, command and
  // resource), so each column's last string and index are checked before the map;
  // span ids never repeat, so they skip the map (a lookup that always misses, then an insert).
  const lastString: (string | undefined)[] = new Array(keys.length);
  const lastIndex = new Int32Array(keys.length);
  for (const row of rows) {
    for (let c = 0; c < keys.length; c++) {
      const k = keys[c]!;
      const v = row[k] as unknown;
      if (typeof v === 'string') {
        let s: number;
        if (v === lastString[c]) s = lastIndex[c]!;
        else {
          const found = k === 'span_id' ? undefined : index.get(v);
          if (found === undefined) {
            s = strings.length;
            strings.push(v);
            if (k !== 'span_id') index.set(v, s);
          } else s = found;
          lastString[c] = v;
          lastIndex[c] = s;
        }
        tags[i] = TAG.string;
        values[i] = s;
      } else if (typeof v === 'bigint') {
        if (b === bigints.length) {
          const grown = new BigInt64Array(bigints.length * 2 + 8);
          grown.set(bigints);
          bigints = grown;
        }
        tags[i] = TAG.bigint;
        bigints[b++] = v;
      } else if (typeof v === 'number') {
        tags[i] = TAG.integer;
        values[i] = v;
      } else if (typeof v === 'boolean') {
        tags[i] = TAG.boolean;
        values[i] = v ? 1 : 0;
      } else if (v === null) tags[i] = TAG.null;
      else throw new TypeError(`packFacts: ${String(k)} is ${typeof v}`);
      i++;
    }
  }
  return { rows: rows.length, tags, values, bigints: bigints.subarray(0, b) };
}
