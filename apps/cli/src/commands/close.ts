import { hasAdaptersSection } from '@govern/adapter-kit';
import { closeItem, verifyItem } from '@govern/closure';
import { outcomeOfChecks, withSpan } from '@govern/telemetry';
import { defaultActor, type LockHolder } from '@govern/write';
import { openWorkspace, writeJson, type CommandContext, type CommonOptions } from '../context.js';
import { renderRefusal } from '../errors.js';
import { colorsFor } from '../render.js';
import { VERSION } from '../version.js';

export interface CloseCliOptions extends CommonOptions {
  timeout?: number;
  force?: boolean;
  allowDirty?: boolean;
  signOff?: string;
  reason?: string;
}

/** The line `govern close` and `govern verify` print when another closure's checks hold the checks lock. */
function waitingLine(ctx: CommandContext, c: ReturnType<typeof colorsFor>): (holder: LockHolder) => void {
  return (holder) => void ctx.stderr.write(c.dim(`waiting for the checks of another closure in this checkout${holder ? ` (pid ${holder.pid} on ${holder.host}, since ${holder.since})` : ''}\n`));
}

/** `govern close <id>`: run the checks, record the evidence, set done only if all passed. Exit 1 on failure. */
export async function closeCommand(ctx: CommandContext, id: string, opts: CloseCliOptions): Promise<number> {
  const ws = await openWorkspace(ctx, opts);
  const c = colorsFor(ctx, opts);
  let routed: import('./adapters.js').CallerAdapters | null = null;
  try {
    // Packs, when govern.config.yaml routes close through them: resolved (and refused) before anything is run or written.
    const adapters = hasAdaptersSection(ws.root) ? await import('./adapters.js') : null;
    routed = adapters ? await adapters.openForCaller(ctx, ws.root, 'close') : null;
    const r = await withSpan('close', { 'govern.item.id': id }, () => closeItem({
      root: ws.root,
      id,
      workspace: ws,
      ...(opts.timeout !== undefined ? { checkTimeoutMs: opts.timeout * 1000 } : {}),
      force: opts.force === true,
      allowDirty: opts.allowDirty === true,
      ...(opts.signOff ? { signOff: opts.signOff } : {}),
      ...(opts.reason ? { reason: opts.reason } : {}),
      actor: defaultActor(ctx.env),
      via: 'cli',
      toolVersion: VERSION,
      env: ctx.env,
      onChecksWait: waitingLine(ctx, c),
      onCheck: opts.json
        ? undefined
        : (e) => {
            if (!e.result) ctx.stderr.write(c.dim(`[${e.index + 1}/${e.total}] ${e.command}\n`));
            else {
              const ok = e.result.exitCode === 0;
              ctx.stderr.write(`${ok ? c.green('  passed') : c.red(`  failed: exit ${e.result.exitCode}`)} in ${(e.result.durationMs / 1000).toFixed(1)} s\n`);
            }
          },
    }), outcomeOfChecks);
    const recorded = adapters && routed ? await adapters.recordClosure(routed, ws.root, r, { actor: defaultActor(ctx.env) }) : null;
    if (opts.json) writeJson(ctx, recorded ? { ...r, adapters: recorded } : r);
    else {
      let out = '';
      if (r.passed) out += `${c.green('closed')} ${c.bold(r.item)}: ${r.status?.changed ? `${r.status.from.text ?? '(none)'} → ${r.status.to.text}` : 'already done; evidence renewed'}\n  evidence: ${r.manifest}\n`;
      else {
        out += `${c.red('not closed')} ${c.bold(r.item)}; its status is unchanged\n`;
        for (const f of r.failures) out += `  ${c.red(f.code)}  ${f.message}${f.line ? c.dim(` (${r.file}:${f.line})`) : ''}\n`;
        if (r.attemptManifest) out += c.dim(`  attempt recorded: ${r.attemptManifest}\n`);
      }
      if (recorded) out += c.dim(`  recorded through ${Object.entries(recorded.providers).map(([cap, pack]) => `${cap} (${pack})`).join(', ')}\n`);
      ctx.stdout.write(out);
    }
    return r.passed ? 0 : 1;
  } catch (err) {
    return renderRefusal(ctx, opts, err);
  } finally {
    await routed?.client.close();
  }
}

/** `govern verify <id>`: the recorded checks, run again now; exit 1 unless each passes as recorded. */
export async function verifyCommand(ctx: CommandContext, id: string, opts: CommonOptions & { timeout?: number }): Promise<number> {
  const ws = await openWorkspace(ctx, opts);
  const c = colorsFor(ctx, opts);
  try {
    const r = await verifyItem({
      root: ws.root,
      id,
      workspace: ws,
      env: ctx.env,
      ...(opts.timeout !== undefined ? { checkTimeoutMs: opts.timeout * 1000 } : {}),
      onChecksWait: waitingLine(ctx, c),
      onCheck: opts.json ? undefined : (e) => (e.result ? undefined : ctx.stderr.write(c.dim(`[${e.index + 1}/${e.total}] ${e.command}\n`))),
    });
    if (opts.json) writeJson(ctx, r);
    else {
      let out = `${r.passed ? c.green('verified') : c.red('not verified')} ${c.bold(r.item)}${r.recordedCommit ? c.dim(` (closed at ${r.recordedCommit.slice(0, 12)}, now ${r.head?.slice(0, 12) ?? 'no git'})`) : ''}\n`;
      for (const k of r.checks) out += `  ${k.same && k.exitCode === 0 ? c.green('same') : c.red('differs')}  ${k.command}: recorded ${k.recordedExitCode}, now ${k.exitCode} (${(k.durationMs / 1000).toFixed(1)} s)\n`;
      for (const p of r.problems) out += `  ${c.red(p)}\n`;
      ctx.stdout.write(out);
    }
    return r.passed ? 0 : 1;
  } catch (err) {
    return renderRefusal(ctx, opts, err);
  }
}
