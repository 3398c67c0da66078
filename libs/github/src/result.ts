import { z } from 'zod';

/** What `govern pr open` did (or, with `--dry-run`, would do). The zod schema is the source of the type. */
export const PrOpenResultSchema = z.object({
  item: z.string(),
  /**
   * `opened`, `updated` (title, body, base, branch head, labels or reviewers changed),
   * `reopened` (a closed, unmerged PR of this item), `unchanged` (everything already
   * as planned), `dry-run` (nothing was changed).
   */
  action: z.enum(['opened', 'updated', 'reopened', 'unchanged', 'dry-run']),
  dryRun: z.boolean(),
  /** `owner/name`. */
  repo: z.string(),
  base: z.string(),
  branch: z.string(),
  title: z.string(),
  body: z.string(),
  labels: z.array(z.string()),
  reviewers: z.array(z.string()),
  teamReviewers: z.array(z.string()),
  draft: z.boolean(),
  /** Every file the branch carries, as read from the working tree. */
  files: z.array(
    z.object({
      path: z.string(),
      sha256: z.string(),
      /** The git blob id GitHub stores the bytes under. */
      gitSha: z.string(),
      size: z.number().int(),
      mode: z.enum(['100644', '100755']),
      /** `changed`: differs from the base branch (goes into the tree); `same`: already on the base; null: not compared (dry-run). */
      vsBase: z.enum(['changed', 'same']).nullable(),
      /** Whether a blob was uploaded in this run (false when GitHub already had it). */
      uploaded: z.boolean(),
    }),
  ),
  /** The branch head after the run (null in a dry run). */
  commit: z.string().nullable(),
  /** How the branch moved: created, force-updated to a new commit, or already right. */
  ref: z.enum(['created', 'updated', 'unchanged']).nullable(),
  pr: z
    .object({
      number: z.number().int(),
      url: z.string(),
      state: z.enum(['open', 'closed']),
      merged: z.boolean(),
      draft: z.boolean(),
      labels: z.array(z.string()),
    })
    .nullable(),
  /** Dry run with a token: what read-only requests found. Null without a token (no request at all). */
  probe: z
    .object({
      baseHead: z.string(),
      branchHead: z.string().nullable(),
      pr: z.object({ number: z.number().int(), url: z.string(), state: z.enum(['open', 'closed']), merged: z.boolean() }).nullable(),
      wouldDo: z.enum(['open', 'update', 'reopen']),
    })
    .nullable(),
  /** Requests made; a dry run has `writes: 0`. */
  requests: z.object({ reads: z.number().int(), writes: z.number().int() }),
  /** Where the token came from (never the token). */
  tokenSource: z.enum(['GITHUB_TOKEN', 'GH_TOKEN', 'gh-hosts']).nullable(),
  warnings: z.array(z.string()),
});
export type PrOpenResult = z.infer<typeof PrOpenResultSchema>;
