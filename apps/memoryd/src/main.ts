import { parseArgs } from 'node:util';
import { startMemoryd } from './daemon.js';

/**
 * The daemon's command line (bundled to dist/memoryd.mjs by scripts/build.mjs):
 *
 *   node apps/memoryd/dist/memoryd.mjs serve [--db FILE] [--spool DIR] [--host H] [--port N]
 *
 * Prints one JSON line on stdout when listening (`{"event":"listening","url":…}`),
 * logs on stderr, stops cleanly on SIGTERM/SIGINT (queued payloads committed,
 * database checkpointed). Exit 0 after a clean stop, 1 when it cannot start
 * (e.g. the database is open in another process), 2 on a usage error.
 *
 * Test hook: MEMORYD_FAULT_PAUSE_BEFORE_COMMIT_MS=<ms> prints
 * `{"event":"before-commit"}` inside a batch's transaction, just before
 * COMMIT, and waits that long — the window in which the kill test SIGKILLs it.
 * MEMORYD_FAULT_SKIP_BATCHES=<n> lets the first n batches commit normally.
 */
const USAGE = `usage: memoryd serve [--db FILE] [--spool DIR] [--host HOST] [--port N] [--max-batch-spans N] [--max-queued-spans N] [--log-batches]

  --db FILE     the DuckDB file (default .govern/memory/memory.duckdb)
  --spool DIR   the spool of received payloads (default <db>.spool)
  --host HOST   listen address (default 127.0.0.1)
  --port N      listen port (default 4318, the OTLP/HTTP port; 0 for any free port)
  --log-batches one line per committed batch on stderr (spans, events, milliseconds)
`;

async function main(argv: string[]): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: argv,
      allowPositionals: true,
      options: {
        db: { type: 'string' },
        spool: { type: 'string' },
        host: { type: 'string' },
        port: { type: 'string' },
        'max-batch-spans': { type: 'string' },
        'max-queued-spans': { type: 'string' },
        'log-batches': { type: 'boolean' },
        help: { type: 'boolean' },
      },
    });
  } catch (err) {
    process.stderr.write(`memoryd: ${(err as Error).message}\n${USAGE}`);
    return 2;
  }
  const { values, positionals } = parsed;
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (positionals[0] !== 'serve' || positionals.length !== 1) {
    process.stderr.write(USAGE);
    return 2;
  }
  const int = (v: string | undefined, name: string) => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--${name} ${v}: expected a non-negative integer`);
    return n;
  };
  const pauseMs = Number(process.env.MEMORYD_FAULT_PAUSE_BEFORE_COMMIT_MS ?? 0);
  let unpausedBatches = Number(process.env.MEMORYD_FAULT_SKIP_BATCHES ?? 0);
  let daemon;
  try {
    const port = int(values.port, 'port');
    const maxBatchSpans = int(values['max-batch-spans'], 'max-batch-spans');
    const maxQueuedSpans = int(values['max-queued-spans'], 'max-queued-spans');
    daemon = await startMemoryd(
      {
        db: values.db ?? '.govern/memory/memory.duckdb',
        ...(values.spool ? { spoolDir: values.spool } : {}),
        ...(values.host ? { host: values.host } : {}),
        ...(port !== undefined ? { port } : {}),
        ...(maxBatchSpans ? { maxBatchSpans } : {}),
        ...(maxQueuedSpans ? { maxQueuedSpans } : {}),
      },
      {
        log: (line) => void process.stderr.write(`${line}\n`),
        ...(values['log-batches'] ? { onCommit: (r) => void process.stderr.write(`memoryd: batch ${r.batchId} ${r.path}: ${r.spansInserted}/${r.spansReceived} spans, ${r.eventsInserted} events in ${r.ms.toFixed(1)} ms\n`) } : {}),
        ...(pauseMs > 0
          ? {
              beforeCommit: async () => {
                if (unpausedBatches-- > 0) return;
                process.stdout.write(`${JSON.stringify({ event: 'before-commit' })}\n`);
                await new Promise((r) => setTimeout(r, pauseMs));
              },
            }
          : {}),
      },
    );
  } catch (err) {
    process.stderr.write(`memoryd: cannot start: ${(err as Error).message}\n`);
    return 1;
  }
  const s = daemon.status();
  process.stdout.write(`${JSON.stringify({ event: 'listening', url: daemon.url, db: daemon.config.db, spool: daemon.config.spoolDir, recovered: s.recovered, checkpoint: s.checkpoint })}\n`);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', () => resolve());
    process.once('SIGINT', () => resolve());
  });
  await daemon.stop();
  process.stderr.write(`memoryd: stopped; checkpoint ${daemon.store.checkpoint().lastSeq}\n`);
  return 0;
}

process.exitCode = await main(process.argv.slice(2));
