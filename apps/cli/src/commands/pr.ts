import os from 'node:os';
import { hasAdaptersSection } from '@govern/adapter-kit';
import { findToken, openClosurePr, resolveSettings, type PrOpenResult } from '@govern/github';
import { withSpan } from '@govern/telemetry';
import { openWorkspace, UsageError, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { renderRefusal } from '../errors.js';
import { colorsFor } from '../render.js';
import { VERSION } from '../version.js';

export interface PrOpenCliOptions extends CommonOptions {
  dryRun?: boolean;
  repo?: string;
  base?: string;
  label?: string[];
  reviewer?: string[];
  draft?: boolean;
  apiUrl?: string;
  force?: boolean;
}

/**
 * `govern pr open <id>`: the closure PR of a closed item, opened, updated or
 * reopened idempotently. Exit 0 when the PR is as planned (or, with --dry-run,
 * when the plan was printed), 1 when GitHub or the item refused, 2 on usage.
 */
export async function prOpenCommand(ctx: CommandContext, id: string, opts: PrOpenCliOptions): Promise<number> {
  const ws = await openWorkspace(ctx, opts);
  const resolved = resolveSettings(
    // Flags win; labels, reviewers, base and draft otherwise come from the profile's `github:` section.
    {
      repo: opts.repo,
      base: opts.base ?? ws.profile.profile.github.base,
      labels: opts.label?.length ? opts.label : ws.profile.profile.github.labels,
      reviewers: opts.reviewer?.length ? opts.reviewer : ws.profile.profile.github.reviewers,
      draft: opts.draft ?? ws.profile.profile.github.draft,
      apiUrl: opts.apiUrl,
    },
    ctx.env,
    ws.root,
  );
  if (!resolved.ok) throw new UsageError(resolved.problems.join('; '));
  const host = new URL(resolved.settings.webUrl).host;
  const token = findToken(ctx.env, host, ctx.env.HOME || os.homedir());
  try {
    // When govern.config.yaml routes pr through a pack providing `github`, that pack opens the PR.
    const routed = hasAdaptersSection(ws.root) ? await (await import('./adapters.js')).prThroughPacks(ctx, ws.root, id, opts, resolved.settings, token?.token) : null;
    if (routed !== null) return routed;
    const r = await withSpan('pr', { 'govern.item.id': id }, () => openClosurePr({
      workspace: ws,
      id,
      settings: resolved.settings,
      token,
      dryRun: opts.dryRun === true,
      force: opts.force === true,
      toolVersion: VERSION,
      client: { onLog: (line) => ctx.stderr.write(`govern: ${line}\n`) },
    }));
    if (opts.json) writeJson(ctx, r);
    else ctx.stdout.write(render(ctx, opts, r));
    return 0;
  } catch (err) {
    return renderRefusal(ctx, opts, err);
  }
}

function render(ctx: CommandContext, opts: CommonOptions, r: PrOpenResult): string {
  const c = colorsFor(ctx, opts);
  const lines: string[] = [];
  if (r.dryRun) {
    const found = r.probe?.pr ? ` #${r.probe.pr.number} (${r.probe.pr.url})` : '';
    lines.push(
      c.bold('dry run: nothing was changed'),
      r.probe
        ? `  read-only requests: ${r.requests.reads}; would ${r.probe.wouldDo} the pull request${found}; branch ${r.probe.branchHead ? `exists at ${r.probe.branchHead.slice(0, 12)}` : 'does not exist yet'}`
        : `  no request was made (no token found${r.tokenSource ? '' : '; set GITHUB_TOKEN to also check what exists on GitHub'})`,
      `branch     ${r.branch} → ${r.base} of ${r.repo}`,
      `files      ${r.files.length}`,
      ...r.files.map((f) => `  ${f.sha256}  ${f.path}`),
      `title      ${r.title}`,
      `labels     ${r.labels.join(', ') || '-'}`,
      `reviewers  ${[...r.reviewers, ...r.teamReviewers.map((t) => `team ${t}`)].join(', ') || '-'}`,
      `draft      ${r.draft ? 'yes' : 'no'}`,
      'body:',
      ...r.body.trimEnd().split('\n').map((l) => `  ${l}`),
    );
  } else {
    const verb = r.action === 'opened' || r.action === 'reopened' ? c.green(r.action) : r.action;
    lines.push(r.pr ? `${verb} #${r.pr.number} ${r.pr.url}` : `${verb}: no pull request`);
    if (r.commit) lines.push(c.dim(`  ${r.branch} → ${r.base} (${r.ref}, ${r.commit.slice(0, 12)}); ${r.files.filter((f) => f.vsBase === 'changed').length} of ${r.files.length} files differ from ${r.base}, ${r.files.filter((f) => f.uploaded).length} uploaded`));
  }
  for (const w of r.warnings) lines.push(c.yellow(`  warning: ${w}`));
  return `${lines.join('\n')}\n`;
}
