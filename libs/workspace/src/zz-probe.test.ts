import { test } from 'vitest';
import fs from 'node:fs'; import os from 'node:os'; import path from 'node:path';
import { loadWorkspace } from './index.js';
test('probe', async () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-'));
  fs.mkdirSync(path.join(root, 'workplans/x.md'), { recursive: true });
  fs.writeFileSync(path.join(root, 'workplans/a.md'), '# A\n\n## K0: Thing\n\nStatus: done\n');
  fs.symlinkSync(path.join(root, 'nope.md'), path.join(root, 'workplans/dangling.md'));
  fs.symlinkSync('loop.md', path.join(root, 'workplans/loop.md'));
  fs.writeFileSync(path.join(root, 'govern.config.yaml'), 'include:\n  - docs/*.md\nfoo: 1\nexclude: 3\n');
  const ws = await loadWorkspace({ root });
  console.log(JSON.stringify(ws.diagnostics, null, 1), ws.stats, ws.documents.map(d => d.file));
  fs.writeFileSync(path.join(root, 'govern.config.yaml'), 'include: [a\nexclude: b: c\n');
  const ws2 = await loadWorkspace({ root, cacheDir: null });
  console.log(JSON.stringify(ws2.diagnostics, null, 1));
  fs.rmSync(root, { recursive: true, force: true });
});
