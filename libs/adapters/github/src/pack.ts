import {
  AdapterError,
  adapterDenial,
  adapterFailure,
  definePack,
  denyWrites,
  FAILURE_REASONS,
  POLICY_REASONS,
  requireKey,
  type ClosurePrRecord,
  type GitHubCapability,
  type PackContext,
} from '@govern/adapter-kit';
import { isGovernError, toErrorJSON } from '@govern/errors';
import { GitHubError, GitHubSettingsSchema, openClosurePr, type GitHubErrorCode, type GitHubSettings, type PrOpenResult } from '@govern/github';
import { loadWorkspace } from '@govern/workspace';

const NAME = 'github';

/** The pack's options: @govern/github's settings (owner, repo, base, labels, reviewers, draft, API and web URLs). The token is a secret. */
export const GitHubPackOptionsSchema = GitHubSettingsSchema;
export type GitHubPackOptions = GitHubSettings;

const on = (what: string) => `github:{owner}/{repo}:${what}`;

/** The GitHub pack's compatibility manifest: it reads the root and writes closure branches, their git objects and their pull requests. */
export const GITHUB_MANIFEST = {
  schema: 'govern.adapter-manifest/v1',
  name: NAME,
  package: '@govern/adapter-github',
  version: '0.1.0',
  description: 'the github capability through @govern/github (Octokit): closure pull requests of the repository at the root, idempotent, on govern/close/* branches only',
  capabilities: ['github'],
  durability: 'persistent',
  // The versions this pack was written against, as literals: a build whose contracts moved to another major
  // fails the pack's contract subcheck until someone reviews the pack and raises them.
  contracts: [
    { name: '@govern/contracts', version: '1.0.0' },
    { name: 'govern-adapter-capabilities', version: '1.0.0' },
  ],
  ownership: {
    paths: [],
    tables: [],
    remote: [on('git/blobs'), on('git/trees'), on('git/commits'), on('refs/heads/govern/close/*'), on('pulls'), on('pulls/*'), on('pulls/*/requested_reviewers'), on('issues/*/labels')],
  },
  conformance: ['govern-conformance/1'],
  gate: 'adapter-github',
} as const;

/**
 * @govern/github's refusals under the reason split. Denials: what a policy or a
 * guard refused — the token's permissions (401/403), a secret in the files, a
 * token over plain http, a branch govern did not write, a write in a dry run.
 * Everything else failed: a missing item, closure or token, the network, a rate
 * limit, GitHub refusing the request. Messages are @govern/github's, already
 * redacted of the token.
 */
const DENIALS: Partial<Record<GitHubErrorCode, string>> = {
  'auth-failed': POLICY_REASONS.unauthorized,
  'secret-found': POLICY_REASONS.guard,
  'insecure-url': POLICY_REASONS.guard,
  'branch-foreign': POLICY_REASONS.guard,
  'read-only': POLICY_REASONS.readOnly,
};
const FAILURES: Record<Exclude<GitHubErrorCode, keyof typeof DENIALS>, string> = {
  'item-not-found': FAILURE_REASONS.notFound,
  'not-found': FAILURE_REASONS.notFound,
  'not-closed': 'github.not-closed',
  'file-unreadable': FAILURE_REASONS.storeIo,
  'token-missing': FAILURE_REASONS.secretMissing,
  'rate-limited': FAILURE_REASONS.remoteRateLimited,
  network: FAILURE_REASONS.remoteUnreachable,
  timeout: FAILURE_REASONS.remoteUnreachable,
  'blob-mismatch': FAILURE_REASONS.remoteBadResponse,
  'github-error': FAILURE_REASONS.remoteRejected,
};

function fromGitHub(err: unknown): unknown {
  if (err instanceof AdapterError) return err;
  if (err instanceof GitHubError) {
    const details = { ...err.details, github_code: err.code };
    const denial = DENIALS[err.code];
    return denial ? adapterDenial(denial, err.message, details) : adapterFailure(FAILURES[err.code as keyof typeof FAILURES] ?? FAILURE_REASONS.remoteRejected, err.message, details);
  }
  // The workspace could not be read (a configuration error, an unreadable document): a failure, with its own code kept.
  if (isGovernError(err)) {
    const j = toErrorJSON(err);
    return adapterFailure(FAILURE_REASONS.storeIo, `the repository at the root could not be read: ${j.message}`, { cause_code: j.code });
  }
  return err;
}

/** What the capability answers: the record of `govern pr open --json` the kit defines. */
function toRecord(r: PrOpenResult): ClosurePrRecord {
  return {
    item: r.item,
    action: r.action,
    dryRun: r.dryRun,
    repo: r.repo,
    base: r.base,
    branch: r.branch,
    title: r.title,
    commit: r.commit,
    ref: r.ref,
    pr: r.pr,
    files: r.files.map((f) => ({ path: f.path, sha256: f.sha256, gitSha: f.gitSha })),
    requests: r.requests,
  };
}

function capability(ctx: PackContext<GitHubPackOptions>, version: string): GitHubCapability {
  return {
    async openClosurePr(input) {
      try {
        if (!input.dryRun) denyWrites(ctx, NAME, `open the closure pull request of ${input.item}`);
        const item = requireKey(input.item, 'item id');
        const workspace = await loadWorkspace({ root: ctx.root, cacheDir: null });
        const token = ctx.secrets.GITHUB_TOKEN ? { token: ctx.secrets.GITHUB_TOKEN, source: 'GITHUB_TOKEN' as const } : ctx.secrets.GH_TOKEN ? { token: ctx.secrets.GH_TOKEN, source: 'GH_TOKEN' as const } : null;
        const result = await openClosurePr({ workspace, id: item, settings: ctx.options, token, dryRun: input.dryRun === true, force: input.force === true, toolVersion: version });
        return toRecord(result);
      } catch (err) {
        throw fromGitHub(err);
      }
    },
  };
}

/** The GitHub pack. */
export const githubPack = definePack({
  manifest: GITHUB_MANIFEST,
  module: import.meta.url,
  options: GitHubPackOptionsSchema,
  create: (ctx) => ({ capabilities: { github: capability(ctx, GITHUB_MANIFEST.version) }, close: async () => {} }),
});
