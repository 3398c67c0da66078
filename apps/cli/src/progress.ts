import type { LoadProgress } from '@govern/workspace';
import type { CommandContext } from './context.js';

/** How long work runs before a progress line appears (ms); `GOVERN_PROGRESS_AFTER_MS` overrides it. */
export const PROGRESS_AFTER_MS = 1000;
/** At most one redraw per this many ms: a redraw per file would cost more than the parse of a small file. */
const REDRAW_MS = 100;
/** Carriage return and "erase the line": the next draw, or the end, overwrites the line in place. */
const CLEAR = '\r\x1b[2K';

/** A progress line on stderr (see {@link progressLine}). */
export interface ProgressLine {
  /** Shows `text` (drawn only once the work has run past the delay, and at most every 100 ms). */
  update(text: string): void;
  /** Erases the line, if one was drawn; call it when the work ends, before printing anything. */
  done(): void;
}

/**
 * A progress line for work that may take seconds (a cold load of a large root): drawn on
 * stderr only when stderr is a terminal and the work has run for more than a second, so
 * a quick run, a pipe, a file or CI never sees it, and stdout is never touched. `done()`
 * erases it, so what the command prints next starts on a clean line.
 */
export function progressLine(ctx: CommandContext): ProgressLine {
  const tty = ctx.stderr.isTTY === true;
  const raw = Number(ctx.env.GOVERN_PROGRESS_AFTER_MS);
  const after = ctx.env.GOVERN_PROGRESS_AFTER_MS !== undefined && Number.isFinite(raw) && raw >= 0 ? raw : PROGRESS_AFTER_MS;
  const start = performance.now();
  let drawnAt = -Infinity;
  let drawn = false;
  return {
    update(text) {
      if (!tty) return;
      const now = performance.now();
      if (now - start < after || now - drawnAt < REDRAW_MS) return;
      drawnAt = now;
      drawn = true;
      ctx.stderr.write(`${CLEAR}govern: ${text}`);
    },
    done() {
      if (drawn) ctx.stderr.write(CLEAR);
      drawn = false;
    },
  };
}

/** The text of a workspace load's progress: `parsing 4,000/10,000 documents…`, then `building the graph of 10,000 documents…`. */
export function loadProgressText(p: LoadProgress): string {
  const n = (x: number) => x.toLocaleString('en-US');
  return p.phase === 'parse' ? `parsing ${n(p.done)}/${n(p.total)} documents…` : `building the graph of ${n(p.total)} documents…`;
}
