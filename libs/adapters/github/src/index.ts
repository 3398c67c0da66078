/**
 * @govern/adapter-github — the `github` capability through @govern/github
 * (Octokit): closure pull requests of the repository at the pack's root,
 * opened, updated or reopened idempotently on the configured GitHub
 * repository, touching only `govern/close/*` branches, their pull requests and
 * the git objects they need.
 */
export { githubPack, GITHUB_MANIFEST, GitHubPackOptionsSchema } from './pack.js';
export type { GitHubPackOptions } from './pack.js';
