import { z } from 'zod';
import { STATUSES, type Status } from './model.js';

/**
 * A profile holds the rules that differ between teams: how status spellings map
 * to the normalized vocabulary, how priorities rank, and which headings start a
 * plan milestone. The default profile ships in code and as `profiles/default.yaml`;
 * a repository profile can `extends: default` and add rules in front of it.
 */
export const ProfileSchema = z.object({
  name: z.string().default('custom'),
  extends: z.string().optional(),
  /**
   * Status phrases per normalized status. A phrase matches the status text's
   * leading words case-insensitively (`done` matches `Done (#27)`); a phrase
   * written as `/regex/` is tested against the whole status text.
   */
  statuses: z.partialRecord(z.enum(STATUSES), z.array(z.string())).default({}),
  /** Priority spellings from most to least urgent; earlier entries sort first. */
  priorities: z.array(z.array(z.string())).default([]),
  /** Regexes (source strings) for plan headings; named groups `id`, `title`, `rest`. */
  planHeadings: z.array(z.string()).default([]),
  /** Regex sources for workplan task headings; named groups `id` and `title`. */
  taskHeadings: z.array(z.string()).default([]),
  /** Labels that introduce exit criteria / acceptance lists (case-insensitive, `:` optional). */
  criteriaLabels: z.array(z.string()).default([]),
  /**
   * Regex sources tried at the start of a list line (after its checkbox or status mark,
   * emphasis removed): a line they match is an item with that id (`- [ ] T001 …`,
   * `- [x] 1.1 …`, `- [x] 02-01-PLAN.md — …`). Named groups `id` and optional `kw`
   * (`Phase` in `- [x] **Phase 2: …**` gives the plan id `PHASE-2`). Added to the base's.
   */
  listItemIds: z.array(z.string()).optional(),
  /**
   * Headings (lower case, matched as words inside the heading) whose checklists are
   * never items: acceptance criteria, release checklists, dependencies… Added to the base's.
   */
  nonItemSections: z.array(z.string()).optional(),
  /**
   * Table header names (lower case) by role, for tables read by their columns: `id` (the
   * item column: ID, Task, Story, Epic, Stage, Phase…), `status`, `depends`, `title`.
   * Added to the base's.
   */
  tableColumns: z
    .object({
      id: z.array(z.string()).optional(),
      status: z.array(z.string()).optional(),
      depends: z.array(z.string()).optional(),
      title: z.array(z.string()).optional(),
    })
    .strict()
    .optional(),
  /**
   * Design proposals (Kubernetes KEPs): a document with at least four headings named in
   * `sections` is one item, named by its title (`# KEP-1693: Warnings` gives the id
   * `KEP-1693`); its status is the last entry of a `history` section that states one
   * (`v1.17: Implemented`), and the `stages` (headings or `For beta:` labels) under a
   * `stageSections` heading are its items, with their status from history entries naming
   * them (`Completed beta items for v1.19`). Lower case; each list adds to the base's.
   */
  proposals: z
    .object({
      sections: z.array(z.string()).optional(),
      history: z.array(z.string()).optional(),
      stageSections: z.array(z.string()).optional(),
      stages: z.array(z.string()).optional(),
    })
    .strict()
    .optional(),
  /** Rules for status writes (`govern task set-status`, `govern close`); fields given replace the base's. */
  lifecycle: z
    .object({
      /** Allowed transitions: from → the statuses it may move to. A status not listed may move anywhere. */
      transitions: z.partialRecord(z.enum(STATUSES), z.array(z.enum(STATUSES))).optional(),
      /** Statuses only `govern close` may set: checks passed, evidence recorded. */
      closureRequired: z.array(z.enum(STATUSES)).optional(),
      /** Statuses that need every dependency done first, unless forced (and the force recorded). */
      dependenciesDoneFor: z.array(z.enum(STATUSES)).optional(),
    })
    .strict()
    .default({}),
  /**
   * Closure pull requests (`govern pr open`): labels, reviewers (logins, or
   * `org/team`), the base branch and draft mode. Flags given on the command
   * line win; a field given here replaces the base profile's.
   */
  github: z
    .object({
      labels: z.array(z.string().min(1)).optional(),
      reviewers: z.array(z.string().min(1)).optional(),
      base: z.string().min(1).optional(),
      draft: z.boolean().optional(),
    })
    .strict()
    .default({}),
  /**
   * The environment of `govern close`'s checks. A check gets only the variables of
   * @govern/closure's BASE_CHECK_ENV (PATH, HOME, locale, CI, NX_*, …) and those named
   * here (`NAME`, or `PREFIX*`), never one whose name says it holds a secret (`*TOKEN*`,
   * `*SECRET*`, `*PASSWORD*`, `*_KEY`, …) unless that exact name is in `secrets`. Both
   * lists add to the base profile's.
   */
  checks: z
    .object({
      env: z.array(z.string().min(1)).optional(),
      secrets: z.array(z.string().min(1)).optional(),
    })
    .strict()
    .default({}),
  /** `govern audit`: how stale evidence (inputs changed since the closing commit) is reported; `--fresh` makes it an error. */
  audit: z
    .object({
      stale: z.enum(['off', 'warning', 'error']).optional(),
    })
    .strict()
    .optional(),
  /**
   * The binder's rollout mode, fallback mode and eligibility thresholds. Kept opaque
   * here (the read path does not depend on the binder): @govern/binder validates it
   * with its own schema and reports problems as diagnostics. A profile's section
   * replaces its base's.
   */
  binder: z.record(z.string(), z.unknown()).optional(),
});
export type ProfileInput = z.input<typeof ProfileSchema>;
export type Profile = z.output<typeof ProfileSchema>;

export const DEFAULT_PROFILE: Profile = {
  name: 'default',
  statuses: {
    done: ['done', 'complete', 'completed', 'finished', 'closed', 'shipped', 'merged', 'resolved', 'verified', 'implemented', 'works', '[x]', 'x', '✅', '✔', '✔️', '✓', '☑️', '☑'],
    in_progress: ['in progress', 'in-progress', 'wip', 'started', 'active', 'doing', 'ongoing', 'underway', 'in review', 'review', 'near complete', 'nearly complete', '[-]', '[/]', '🔄', '⏳', '🚧'],
    partial: ['partial', 'partially done', 'partially complete', 'mostly done', '[~]'],
    blocked: ['blocked', 'on hold', 'waiting', 'stalled'],
    planned: ['planned', 'todo', 'to do', 'not started', 'pending', 'proposed', 'open', 'backlog', 'draft', 'new', '[ ]', 'next', 'queued', 'ready', 'deferred', '⚪', '⬜', '📋', '🔲'],
  },
  priorities: [['p0', 'critical', 'urgent', 'highest'], ['p1', 'high'], ['p2', 'medium', 'normal'], ['p3', 'low'], ['p4', 'lowest']],
  planHeadings: [
    '^(?<kw>PHASE|Phase|MILESTONE|Milestone|STAGE|Stage|WEEK|Week|SPRINT|Sprint|EPIC|Epic|TASK|Task|ITERATION|Iteration)\\s+(?<id>[A-Za-z0-9][A-Za-z0-9.-]*)\\s*(?:[—–:-]\\s*(?<rest>.*))?$',
    '^(?<id>[A-Z]{1,3}[0-9]+[A-Za-z0-9.]*)(?:\\s*[:—–]|\\s+-)\\s*(?<rest>.+)$',
    '^(?<id>[A-Z]{1,3}[0-9]+[A-Za-z0-9.]*)$',
    '^(?<id>[vV](?:0|[1-9][0-9]?)(?:\\.[0-9]+)*)(?:\\s*[:—–]\\s*|\\s+-\\s+|\\s+)(?<rest>[^\\s\\d(\\[—–→⇒-].*)$',
  ],
  taskHeadings: ['^(?<id>T[0-9]+[A-Za-z0-9.]*)\\s*[-—–:]\\s*(?<title>.+)$'],
  criteriaLabels: ['exit criteria', 'acceptance', 'acceptance criteria', 'validation checklist', 'checklist', 'definition of done', 'done when'],
  listItemIds: [
    '^(?<kw>PHASE|Phase|MILESTONE|Milestone|STAGE|Stage|WEEK|Week|SPRINT|Sprint|EPIC|Epic)\\s+(?<id>[0-9]+[A-Za-z0-9.]*)(?=[\\s:.)—–-]|$)',
    '^(?<id>[0-9]+-[0-9]+[A-Za-z]?)-PLAN\\.md\\b',
    '^(?<id>[0-9]+)\\.md\\b',
    '^(?<id>[0-9]+(?:\\.[0-9]+)+)\\.?(?=\\s|$)',
    '^(?<id>[0-9]+)\\.(?=\\s)',
    '^(?<id>[A-Z]{1,6}-?[0-9]+[A-Za-z]?(?:[.-][A-Za-z0-9]+)*)(?=[\\s:.)\\]—–]|$)',
    '^(?<id>[a-z]+-[0-9]+(?:\\.[0-9]+)*)(?=[\\s:.)\\]—–]|$)',
    '^(?<id>#[0-9]+)(?=[\\s:.)\\]—–-]|$)',
  ],
  nonItemSections: [
    'acceptance', 'criteria', 'definition of done', 'done when', 'checklist', 'dependencies', 'prerequisites', 'requirements',
    'testing', 'tests', 'verification', 'validation', 'customization', 'notes', 'risks', 'references', 'success metrics', 'legend',
  ],
  tableColumns: {
    id: ['id', 'task', 'task id', 'story', 'epic', 'stage', 'phase', 'item', 'ticket', 'issue', '#', 'key', 'work item', 'deliverable', 'milestone', 'milestones', 'version'],
    status: ['status', 'state'],
    depends: ['depends on', 'dependencies', 'depends', 'deps', 'blocked by', 'dependency', 'after', 'prerequisites'],
    title: ['title', 'name', 'description', 'summary', 'scope', 'goal'],
  },
  proposals: {
    sections: ['summary', 'motivation', 'proposal', 'design details', 'graduation criteria', 'implementation history', 'release signoff checklist'],
    history: ['implementation history'],
    stageSections: ['graduation criteria'],
    stages: ['alpha', 'beta', 'ga', 'stable', 'general availability'],
  },
  lifecycle: {
    transitions: {
      planned: ['in_progress', 'blocked', 'partial', 'done'],
      in_progress: ['planned', 'partial', 'blocked', 'done'],
      partial: ['planned', 'in_progress', 'blocked', 'done'],
      blocked: ['planned', 'in_progress', 'partial'],
      // Reopening is allowed; it is recorded in the audit log like every write.
      done: ['in_progress', 'partial'],
    },
    closureRequired: ['done'],
    dependenciesDoneFor: ['in_progress', 'partial', 'done'],
  },
  github: {},
  checks: {},
};

/** Merges a profile over its base: its rules are tried first, the base's after. */
export function mergeProfiles(base: Profile, over: Profile): Profile {
  const statuses: Profile['statuses'] = {};
  // A spelling the profile maps replaces the base's mapping of it, whichever status that was.
  const overridden = new Set(STATUSES.flatMap((s) => (over.statuses[s] ?? []).map(canonicalPhrase)));
  for (const s of STATUSES) {
    const merged = [...(over.statuses[s] ?? []), ...(base.statuses[s] ?? []).filter((p) => !overridden.has(canonicalPhrase(p)))];
    if (merged.length) statuses[s] = merged;
  }
  return {
    name: over.name,
    statuses,
    priorities: over.priorities.length ? over.priorities : base.priorities,
    planHeadings: [...over.planHeadings, ...base.planHeadings],
    taskHeadings: [...over.taskHeadings, ...base.taskHeadings],
    criteriaLabels: [...over.criteriaLabels, ...base.criteriaLabels],
    ...(over.listItemIds || base.listItemIds ? { listItemIds: [...(over.listItemIds ?? []), ...(base.listItemIds ?? [])] } : {}),
    ...(over.nonItemSections || base.nonItemSections ? { nonItemSections: [...(over.nonItemSections ?? []), ...(base.nonItemSections ?? [])] } : {}),
    ...(over.tableColumns || base.tableColumns ? { tableColumns: mergeColumns(base.tableColumns ?? {}, over.tableColumns ?? {}) } : {}),
    ...(over.proposals || base.proposals ? { proposals: mergeProposals(base.proposals ?? {}, over.proposals ?? {}) } : {}),
    lifecycle: { ...base.lifecycle, ...definedOnly(over.lifecycle) },
    github: { ...base.github, ...definedOnly(over.github) },
    ...(over.audit || base.audit ? { audit: { ...base.audit, ...definedOnly(over.audit ?? {}) } } : {}),
    ...(over.binder || base.binder ? { binder: over.binder ?? base.binder } : {}),
    checks: definedOnly({
      env: base.checks.env || over.checks.env ? [...(base.checks.env ?? []), ...(over.checks.env ?? [])] : undefined,
      secrets: base.checks.secrets || over.checks.secrets ? [...(base.checks.secrets ?? []), ...(over.checks.secrets ?? [])] : undefined,
    }),
  };
}

type TableColumns = NonNullable<Profile['tableColumns']>;
function mergeColumns(base: TableColumns, over: TableColumns): TableColumns {
  const out: TableColumns = {};
  for (const k of ['id', 'status', 'depends', 'title'] as const) {
    if (base[k] || over[k]) out[k] = [...(over[k] ?? []), ...(base[k] ?? [])];
  }
  return out;
}

type Proposals = NonNullable<Profile['proposals']>;
function mergeProposals(base: Proposals, over: Proposals): Proposals {
  const out: Proposals = {};
  for (const k of ['sections', 'history', 'stageSections', 'stages'] as const) {
    if (base[k] || over[k]) out[k] = [...(over[k] ?? []), ...(base[k] ?? [])];
  }
  return out;
}

function definedOnly<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** A profile with its regexes compiled once; parsers receive this. */
export interface CompiledProfile {
  profile: Profile;
  statusPhrases: { phrase: string; status: Status }[];
  statusRegexes: { re: RegExp; status: Status }[];
  priorityRank: Map<string, number>;
  planHeadings: RegExp[];
  taskHeadings: RegExp[];
  criteriaLabels: Set<string>;
  /** Ids at the start of a list line (`T001`, `1.1`, `02-01-PLAN.md`). */
  listItemIds: RegExp[];
  /** Heading words whose checklists are not items. */
  nonItemSections: string[];
  /** Table header names (canonical: lower case, punctuation as spaces; `#` kept) by role. */
  tableColumns: { id: Set<string>; status: Set<string>; depends: Set<string>; title: Set<string> };
  /** Design proposal section names, canonical (see `proposals` in the profile). */
  proposals: { sections: Set<string>; history: Set<string>; stageSections: Set<string>; stages: Set<string> };
}

export function compileProfile(profile: Profile): CompiledProfile {
  const statusPhrases: CompiledProfile['statusPhrases'] = [];
  const statusRegexes: CompiledProfile['statusRegexes'] = [];
  for (const s of STATUSES) {
    for (const p of profile.statuses[s] ?? []) {
      const m = /^\/(.*)\/([a-z]*)$/.exec(p);
      if (m) statusRegexes.push({ re: new RegExp(m[1] ?? '', m[2]?.includes('i') ? m[2] : `${m[2] ?? ''}i`), status: s });
      else statusPhrases.push({ phrase: canonicalPhrase(p), status: s });
    }
  }
  // Longest phrase first so `partially done` wins over `done`; stable within a length
  // so that earlier (profile) rules beat later (base) rules.
  statusPhrases.sort((a, b) => b.phrase.length - a.phrase.length);
  const priorityRank = new Map<string, number>();
  profile.priorities.forEach((group, rank) => group.forEach((p) => priorityRank.set(p.toLowerCase(), rank)));
  return {
    profile,
    statusPhrases,
    statusRegexes,
    priorityRank,
    planHeadings: profile.planHeadings.map((s) => new RegExp(s, 'u')),
    taskHeadings: profile.taskHeadings.map((s) => new RegExp(s, 'u')),
    criteriaLabels: new Set(profile.criteriaLabels.map((l) => l.toLowerCase())),
    listItemIds: (profile.listItemIds ?? []).map((s) => new RegExp(s, 'u')),
    nonItemSections: (profile.nonItemSections ?? []).map((s) => canonicalHeader(s)).filter(Boolean),
    tableColumns: {
      id: new Set((profile.tableColumns?.id ?? []).map(canonicalHeader)),
      status: new Set((profile.tableColumns?.status ?? []).map(canonicalHeader)),
      depends: new Set((profile.tableColumns?.depends ?? []).map(canonicalHeader)),
      title: new Set((profile.tableColumns?.title ?? []).map(canonicalHeader)),
    },
    proposals: {
      sections: new Set((profile.proposals?.sections ?? []).map(canonicalHeader).filter(Boolean)),
      history: new Set((profile.proposals?.history ?? []).map(canonicalHeader).filter(Boolean)),
      stageSections: new Set((profile.proposals?.stageSections ?? []).map(canonicalHeader).filter(Boolean)),
      stages: new Set((profile.proposals?.stages ?? []).map(canonicalHeader).filter(Boolean)),
    },
  };
}

/** Lowercase, unify `_`/`-`/whitespace runs to one space. */
export function canonicalPhrase(text: string): string {
  return text.toLowerCase().replace(/[\s_-]+/g, ' ').trim();
}

/** A table header or heading word list as compared: lower case, runs of other characters as one space; a lone `#` stays `#`. */
export function canonicalHeader(text: string): string {
  const t = text.toLowerCase().replace(/[^\p{L}\p{N}#]+/gu, ' ').trim();
  return t;
}
