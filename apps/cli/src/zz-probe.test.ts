import { test } from 'vitest';
import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import { runCli } from './program.js';
async function run(argv: string[], cwd: string, env: Record<string,string> = {}, isTTY = false) {
  let out = '', err = '';
  const code = await runCli(argv, { cwd, stdout: { write(s: string) { out += s; }, isTTY }, stderr: { write(s: string) { err += s; } }, env });
  return { code, out, err };
}
test('probe', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-'));
  fs.mkdirSync(path.join(root, 'workplans'), { recursive: true });
  fs.writeFileSync(path.join(root, 'workplans/a.md'), '# A\n\n## K0: Thing\n\nStatus: done\n\n## K1: Other\n\nStatus: weird\n');
  for (const a of [['graph', '--root', root], ['graph', '--bogus'], ['graph', '--help'], ['next','--root', root, '--json'], ['status', '--root', root], ['validate','--root', root,'--json'], ['--help'], ['graph','--root','/nonexist'], ['graph', '--root', root, '--status', 'done', '--kind', 'milestone', '--json']]) {
    console.log(a.join(' '), JSON.stringify(await run(a, root, { FORCE_COLOR: '1' })));
  }
  fs.rmSync(root, { recursive: true, force: true });
});
