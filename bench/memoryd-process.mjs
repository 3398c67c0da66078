// memoryd as a child process for the benchmarks: its bundled command line on a database
// file, started on a free loopback port, and stopped with SIGTERM (a clean stop).
import { spawn } from 'node:child_process';

/**
 * Starts `node [nodeArgs] <bundle> serve --db <db> --port 0 [args]` and resolves once it
 * prints its "listening" line; logs go to this process's stderr.
 */
export async function startMemorydProcess(bundle, db, { args = [], nodeArgs = [] } = {}) {
  const child = spawn(process.execPath, [...nodeArgs, bundle, 'serve', '--db', db, '--port', '0', ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  try {
    const url = await new Promise((resolve, reject) => {
      let buf = '';
      child.stdout.on('data', (c) => {
        buf += c;
        const line = buf.split('\n').find((l) => l.includes('"listening"'));
        if (line) resolve(JSON.parse(line).url);
      });
      child.once('exit', (code) => reject(new Error(`memoryd exited (${code}) before listening`)));
    });
    return {
      child,
      url,
      async stop() {
        child.kill('SIGTERM');
        await exited;
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}
