import { runCli } from './program.js';

// The bundled binary's entry. Setting exitCode (not calling process.exit) lets a
// large JSON document finish draining into a pipe before the process ends.
const code = await runCli(process.argv.slice(2), {
  cwd: process.cwd(),
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
  workerUrl: new URL('./parse-worker.js', import.meta.url),
});
process.exitCode = code;
