import type { Block, ListBlock, ListItem, TableBlock } from './blocks.js';
import type { Family } from './model.js';

/**
 * The parser's decisions as `govern explain` needs them. The parser reports them to a
 * recorder only when one is attached to its DiagnosticSink (`sink.explain`), so an
 * ordinary parse builds none of this; explain.ts turns the notes into an Explanation.
 */

/** Which rule of `classifyDocument` gave a document its family. */
export type FamilyRule =
  | 'declared'
  | 'milestone-table'
  | 'plan-summary-table'
  | 'plan-task-headings'
  | 'task-headings'
  | 'front-matter-plan'
  | 'front-matter-item'
  | 'plan-headings'
  | 'proposal'
  | 'plan-lists'
  | 'plan-title'
  | 'none';

/** A document's family, the rule that decided it and the line of the block that showed it (null: the front matter). */
export interface Classification {
  family: Family;
  rule: FamilyRule;
  line: number | null;
  /** `plan-summary-table`: the line of the milestone table beside the headings. */
  table?: number;
}

/** Column indexes of a table read by its roles (-1: no such column). */
export interface RoleIndexes {
  id: number;
  status: number;
  depends: number;
  title: number;
}

/** What became of a table. */
export type TableDecision =
  | { read: 'milestone-table' | 'matrix' }
  | { read: 'role-table'; roles: RoleIndexes }
  /** In a tracker, a table that is neither a milestone table nor a dependency matrix. */
  | { skip: 'in-tracker' }
  /** Under a criteria heading (`### Acceptance criteria`): nothing there is an item. */
  | { skip: 'under-criteria'; under: string }
  /** No id column, or neither a status nor a depends column, or no body rows. */
  | { skip: 'roles' };

/** Why a list line with a status mark is not an item. */
export type LineSkip =
  /** Under a criteria label (heading or `Acceptance criteria:` line). */
  | { skip: 'criteria-label'; label: string }
  /** A task file or an epic: only lines with an id are items. */
  | { skip: 'ids-only' }
  /** The document writes ids on its list lines (first at `at`): a line without one is not an item. */
  | { skip: 'uses-ids'; at: number }
  /** In a section named by the profile's nonItemSections (`## Dependencies`). */
  | { skip: 'non-item-section'; section: string }
  /** In a section whose items a table tracks (`| Story | Status |`): notes beside it. */
  | { skip: 'beside-table' }
  /** Right under an item's heading or line: its sub-steps. */
  | { skip: 'sub-steps'; of: string }
  /** Nested under a list line that is not an item. */
  | { skip: 'nested' }
  /** Names an item the document already has: it adds to that item. */
  | { skip: 'same-item'; of: string };

/** Receives the parser's decisions while it explains one document (see explain.ts). */
export interface ExplainRecorder {
  /** The body's blocks, the first body line and the family decision, once, before the family parser runs. */
  source(blocks: Block[], bodyLine: number, classification: Classification): void;
  table(t: TableBlock, decision: TableDecision): void;
  line(list: ListBlock, li: ListItem, skip: LineSkip): void;
}
