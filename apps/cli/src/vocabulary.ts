import type { Status } from '@govern/workplan';

// The status words the CLI and the MCP server accept, declared once: `--status` on
// status/graph and the graph/next tools' `status` filter take STATUS_FILTERS;
// `task set-status`, `task add --status` and the set_status/add_task tools read a
// status with readStatusWord (commands/task.ts), which accepts STATUS_WORDS or a
// spelling the profile maps. program.ts imports this file at startup, so it holds the
// words themselves rather than importing @govern/workplan (which would load the parser
// for `govern --version`); the type below makes the compiler refuse any difference
// from the model's Status, and vocabulary.test.ts compares it with STATUSES.

/** The status vocabulary, in the model's order. */
export const STATUS_WORDS = ['planned', 'in_progress', 'partial', 'blocked', 'done'] as const satisfies readonly Status[];
// A Status missing from STATUS_WORDS makes this `false`, which the annotation refuses.
const complete: [Exclude<Status, (typeof STATUS_WORDS)[number]>] extends [never] ? true : false = true;
void complete;

/** What a status filter selects: a status of the vocabulary, or `unknown` (no status recognized). */
export const STATUS_FILTERS = [...STATUS_WORDS, 'unknown'] as const;
export type StatusFilter = (typeof STATUS_FILTERS)[number];

/** The sentence both surfaces refuse an unreadable status word with. */
export function statusWordProblem(raw: string): string {
  return `status "${raw}" is not one of ${STATUS_WORDS.join(', ')} (nor a spelling the profile maps to one)`;
}
