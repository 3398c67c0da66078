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
});
export type ProfileInput = z.input<typeof ProfileSchema>;
export type Profile = z.output<typeof ProfileSchema>;

export const DEFAULT_PROFILE: Profile = {
  name: 'default',
  statuses: {
    done: ['done', 'complete', 'completed', 'finished', 'closed', 'shipped', 'merged', 'resolved', 'verified', '[x]', 'x', '✅', '✔', '✔️'],
    in_progress: ['in progress', 'in-progress', 'wip', 'started', 'active', 'doing', 'ongoing', 'underway', 'in review', 'review'],
    partial: ['partial', 'partially done', 'partially complete', 'mostly done'],
    blocked: ['blocked', 'on hold', 'waiting', 'stalled'],
    planned: ['planned', 'todo', 'to do', 'not started', 'pending', 'proposed', 'open', 'backlog', 'draft', 'new', '[ ]', 'next', 'queued'],
  },
  priorities: [['p0', 'critical', 'urgent', 'highest'], ['p1', 'high'], ['p2', 'medium', 'normal'], ['p3', 'low'], ['p4', 'lowest']],
  planHeadings: [
    '^(?<kw>PHASE|Phase|MILESTONE|Milestone|STAGE|Stage)\\s+(?<id>[A-Za-z0-9][A-Za-z0-9.-]*)\\s*(?:[—–:-]\\s*(?<rest>.*))?$',
    '^(?<id>[A-Z]{1,3}[0-9]+[A-Za-z0-9.]*)\\s*[:—–]\\s*(?<rest>.+)$',
  ],
  taskHeadings: ['^(?<id>T[0-9]+[A-Za-z0-9.]*)\\s*[-—–:]\\s*(?<title>.+)$'],
  criteriaLabels: ['exit criteria', 'acceptance', 'acceptance criteria', 'validation checklist', 'checklist', 'definition of done', 'done when'],
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
    lifecycle: { ...base.lifecycle, ...definedOnly(over.lifecycle) },
    github: { ...base.github, ...definedOnly(over.github) },
    ...(over.audit || base.audit ? { audit: { ...base.audit, ...definedOnly(over.audit ?? {}) } } : {}),
    checks: definedOnly({
      env: base.checks.env || over.checks.env ? [...(base.checks.env ?? []), ...(over.checks.env ?? [])] : undefined,
      secrets: base.checks.secrets || over.checks.secrets ? [...(base.checks.secrets ?? []), ...(over.checks.secrets ?? [])] : undefined,
    }),
  };
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
  };
}

/** Lowercase, unify `_`/`-`/whitespace runs to one space. */
export function canonicalPhrase(text: string): string {
  return text.toLowerCase().replace(/[\s_-]+/g, ' ').trim();
}
