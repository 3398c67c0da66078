import { runService } from '../run.js';
import { startHttpService } from '../server.js';

// A service run by runService in its own process, for the signal test (run.test.ts
// bundles it with esbuild): one JSON line when ready, one when it stopped.
const result = await runService({
  start: () => startHttpService({ host: '127.0.0.1', port: 0, handler: (_req, res) => void res.end('ok') }).then((s) => ({ ...s, close: () => s.stop() })),
  ready: (s) => {
    process.stdout.write(`${JSON.stringify({ ready: s.url })}\n`);
  },
});
process.stdout.write(`${JSON.stringify({ status: result.status, signal: result.status === 'stopped' ? (result.signal ?? null) : null, listeners: process.listenerCount('SIGTERM') + process.listenerCount('SIGINT') })}\n`);
