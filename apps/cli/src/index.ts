/** @govern/cli — the `govern` command line, as a library for tests and embedding. */
export { runCli, createProgram, VERSION } from './program.js';
export type { CommandContext, CommonOptions } from './context.js';
export { createGovernMcpServer } from './mcp/server.js';
