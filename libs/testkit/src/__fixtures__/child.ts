// The child entry of index.test.ts: TypeScript (node cannot run it as it is) importing a
// CommonJS module, printing one JSON line with what it was given and computed.
import { eolLength } from './uses-require.cjs';
import { double } from './double.js';

const input: string[] = process.argv.slice(2);
process.stdout.write(`${JSON.stringify({ args: input, doubled: input.map((a) => double(Number(a))), eolLength })}\n`);
