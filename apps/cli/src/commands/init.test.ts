import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, oneJson, tempRoot } from '../test-support.js';
import { MCP_SERVER, STARTER_TRACKER, STARTER_WORKPLAN, WORKFLOW_FILE } from './init.js';

// `govern init` in process, on temporary directories. The binary's run (init, then
// validate, status and mcp) is in apps/cli-e2e/src/init.test.ts.

const ALL = ['govern.config.yaml', 'profiles/project.yaml', STARTER_TRACKER, STARTER_WORKPLAN, '.gitignore', '.mcp.json', WORKFLOW_FILE];

/** Every file under `root` (relative path → text), for before/after comparisons. */
function snapshot(root: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const rel of fs.readdirSync(root, { recursive: true }).map(String).sort()) {
    const abs = path.join(root, rel);
    if (fs.statSync(abs).isFile()) out[rel.split(path.sep).join('/')] = fs.readFileSync(abs, 'utf8');
  }
  return out;
}

const NO_LOCKFILE = `the workflow ${WORKFLOW_FILE} runs \`npm ci\`, which needs a package-lock.json: install govern as a devDependency (\`npm install --save-dev …\`) and commit package.json and package-lock.json.`;

async function init(root: string, ...args: string[]) {
  const r = await cli(['init', '--json', '--root', root, ...args]);
  expect(r.err).toBe('');
  return { code: r.code, json: oneJson(r.out) };
}

describe('govern init', () => {
  it('scaffolds an empty repository, and validate and status read it with no diagnostic', async () => {
    const root = tempRoot();
    expect(await init(root)).toEqual({ code: 0, json: { root, dryRun: false, created: ALL, kept: [], updated: [], included: [], notes: [NO_LOCKFILE] } });
    const files = snapshot(root);
    expect(Object.keys(files).sort()).toEqual([...ALL].sort());
    expect(JSON.parse(files['.mcp.json']!)).toEqual({ mcpServers: { govern: { command: 'npx', args: ['--no', 'govern', 'mcp'] } } });
    expect(files['.gitignore']).toBe('.govern/\n');
    expect(files['govern.config.yaml']).toContain('profile: profiles/project.yaml\n');
    expect(files['govern.config.yaml']).toMatch(/^# gates:$/m);
    expect(files['profiles/project.yaml']).toMatch(/^name: project\nextends: default$/m);
    expect(files[WORKFLOW_FILE]).toContain('      - run: npx --no govern validate\n      - run: npx --no govern audit\n');

    const v = await cli(['validate', '--json', '--root', root]);
    expect({ code: v.code, json: oneJson(v.out) }).toEqual({ code: 0, json: { ok: true, files: 2, errors: 0, warnings: 0, infos: 0, diagnostics: [] } });
    const s = await cli(['status', '--json', '--root', root]);
    expect(oneJson(s.out)).toEqual({
      root,
      documents: [
        { file: STARTER_TRACKER, id: 'tracker', family: 'tracker', title: 'Tracker', status: null, items: ['M-01', 'M-02'], counts: { planned: 2 } },
        { file: STARTER_WORKPLAN, id: 'WP-0001', family: 'workplan', title: 'Adopt govern', status: 'planned', items: ['WP-0001', 'WP-0001-T01'], counts: { planned: 2 } },
      ],
      next: ['M-01', 'WP-0001-T01'],
      blocked: [{ id: 'M-02', blockers: [{ id: 'M-01', exists: true, status: 'planned' }] }],
      summary: { errors: 0, warnings: 0, infos: 0 },
      diagnostics: [],
    });
    const show = await cli(['task', 'show', 'WP-0001-T01', '--json', '--root', root]);
    expect((oneJson(show.out) as { node: unknown }).node).toMatchObject({
      checks: [{ command: 'npx --no govern validate', line: 23, column: 3 }],
      evidenceRoot: 'ops/runtime/wp-0001-t01/',
      criteria: [expect.objectContaining({ text: expect.stringContaining('`govern validate` reports no error') })],
    });
  });

  it('is idempotent: a second run keeps every file and changes no byte', async () => {
    const root = tempRoot();
    await init(root);
    const before = snapshot(root);
    expect(await init(root)).toEqual({ code: 0, json: { root, dryRun: false, created: [], kept: ALL, updated: [], included: [], notes: [] } });
    expect(snapshot(root)).toEqual(before);
  });

  it('--dry-run writes nothing and reports the files and contents a real run writes', async () => {
    const root = tempRoot();
    const dry = await init(root, '--dry-run');
    expect(snapshot(root)).toEqual({});
    const real = tempRoot();
    await init(real);
    expect(dry).toEqual({ code: 0, json: { root, dryRun: true, created: ALL, kept: [], updated: [], included: [], contents: snapshot(real), notes: [NO_LOCKFILE] } });
  });

  it('--dry-run without --json prints each file with its content, and says nothing was written', async () => {
    const root = tempRoot({ '.gitignore': 'node_modules/' });
    const r = await cli(['init', '--dry-run', '--root', root]);
    expect(r).toMatchObject({ code: 0, err: '' });
    expect(r.out).toContain(`govern init --dry-run  ${root}\n\n  would create  govern.config.yaml  reads workplans/ and trackers/, profile profiles/project.yaml\n      | # govern configuration`);
    expect(r.out).toContain('  would update  .gitignore  appended .govern/\n      | .govern/\n');
    expect(r.out.endsWith('\nNothing was written (--dry-run).\n')).toBe(true);
    expect(snapshot(root)).toEqual({ '.gitignore': 'node_modules/' });
  });

  it('prints what it did, one line per file, and the next step', async () => {
    const root = tempRoot({ '.git/HEAD': 'ref: refs/heads/main\n', [WORKFLOW_FILE]: 'name: ci\n' });
    const r = await cli(['init', '--root', root]);
    expect(r).toEqual({
      code: 0,
      err: '',
      out: [
        `govern init  ${root}`,
        '',
        '  created  govern.config.yaml  reads workplans/ and trackers/, profile profiles/project.yaml',
        '  created  profiles/project.yaml  extends the default profile',
        `  created  ${STARTER_TRACKER}  starter tracker: two milestones, a dependency matrix`,
        `  created  ${STARTER_WORKPLAN}  starter workplan: one task with a check`,
        '  created  .gitignore  ignores .govern/ (parse cache, locks)',
        '  created  .mcp.json  the govern MCP server for agents (npx --no govern mcp)',
        `  kept     ${WORKFLOW_FILE}  exists`,
        '',
        'Next: npx govern status, edit the starter documents, then npx govern validate.',
        '',
      ].join('\n'),
    });
    // Without git, close and audit cannot work: said after the list.
    const noGit = tempRoot();
    expect((await cli(['init', '--root', noGit])).out).toContain(`\n\nnote: ${noGit} is not a git repository; govern close and govern audit need one (git init).\nnote: ${NO_LOCKFILE}\nNext: `);
  });

  it('appends .govern/ to a .gitignore that lacks it, and keeps one that has it', async () => {
    const lacking = tempRoot({ '.gitignore': 'node_modules/\n# .govern/ is not this\ndist' });
    expect((await init(lacking)).json).toMatchObject({ updated: ['.gitignore'] });
    expect(fs.readFileSync(path.join(lacking, '.gitignore'), 'utf8')).toBe('node_modules/\n# .govern/ is not this\ndist\n.govern/\n');
    for (const line of ['.govern', '/.govern/', '.govern/**']) {
      const has = tempRoot({ '.gitignore': `dist/\n  ${line}\n` });
      expect((await init(has)).json).toMatchObject({ updated: [], kept: expect.arrayContaining(['.gitignore']) });
      expect(fs.readFileSync(path.join(has, '.gitignore'), 'utf8')).toBe(`dist/\n  ${line}\n`);
    }
  });

  it('merges the govern server into an existing .mcp.json, keeping every other key, and keeps one that has it', async () => {
    const other = { $schema: 'https://example.invalid/mcp.json', mcpServers: { docs: { command: 'docs-server', args: ['--stdio'], env: { A: '1' } } } };
    const root = tempRoot({ '.mcp.json': JSON.stringify(other) });
    expect((await init(root)).json).toMatchObject({ updated: ['.mcp.json'] });
    expect(JSON.parse(fs.readFileSync(path.join(root, '.mcp.json'), 'utf8'))).toEqual({ ...other, mcpServers: { ...other.mcpServers, govern: MCP_SERVER } });

    const mine = '{ "mcpServers": { "govern": { "command": "node", "args": ["my/govern.mjs", "mcp"] } } }';
    const kept = tempRoot({ '.mcp.json': mine });
    expect((await init(kept)).json).toMatchObject({ updated: [], kept: expect.arrayContaining(['.mcp.json']) });
    expect(fs.readFileSync(path.join(kept, '.mcp.json'), 'utf8')).toBe(mine);

    const noServers = tempRoot({ '.mcp.json': '{}' });
    await init(noServers);
    expect(JSON.parse(fs.readFileSync(path.join(noServers, '.mcp.json'), 'utf8'))).toEqual({ mcpServers: { govern: MCP_SERVER } });
  });

  it('refuses an unreadable .mcp.json with its file, line and column, and writes nothing', async () => {
    const text = '{\n  "mcpServers": {\n    "docs": { "command": "x" },,\n  }\n}\n';
    const root = tempRoot({ '.mcp.json': text });
    const r = await cli(['init', '--json', '--root', root]);
    expect({ code: r.code, err: r.err, json: oneJson(r.out) }).toEqual({
      code: 1,
      err: '',
      json: {
        error: {
          code: 'init-input-invalid',
          message: ".mcp.json:3:32: not valid JSON: Expected double-quoted property name",
          details: { file: '.mcp.json', line: 3, column: 32, note: 'fix or move .mcp.json; govern init wrote nothing' },
        },
      },
    });
    expect(snapshot(root)).toEqual({ '.mcp.json': text });

    const human = await cli(['init', '--root', tempRoot({ '.mcp.json': '{ "mcpServers": [] }' })]);
    expect(human).toEqual({ code: 1, out: '', err: 'govern: .mcp.json:1:3: mcpServers is not an object of servers by name [init-input-invalid]\n  note: fix or move .mcp.json; govern init wrote nothing\n' });
  });

  it('adds no starter to a folder that already holds documents, and the workplan names the milestone only with the starter tracker', async () => {
    const tracker = '| Milestone | Status |\n|---|---|\n| AB-01 Ours | Planned |\n';
    const root = tempRoot({ 'trackers/ours/roadmap.md': tracker });
    const r = await init(root);
    expect(r.json).toEqual({
      root,
      dryRun: false,
      created: ['govern.config.yaml', 'profiles/project.yaml', STARTER_WORKPLAN, '.gitignore', '.mcp.json', WORKFLOW_FILE],
      kept: ['trackers/'],
      updated: [],
      included: [],
      notes: [NO_LOCKFILE],
    });
    const workplan = fs.readFileSync(path.join(root, STARTER_WORKPLAN), 'utf8');
    expect(workplan).toMatch(/^status: planned\n---$/m);
    expect(workplan).not.toContain('milestone:');
    const v = await cli(['validate', '--json', '--root', root]);
    expect(oneJson(v.out)).toMatchObject({ ok: true, errors: 0, warnings: 0 });
  });

  it('ensures the profile an existing configuration names, and none when it names none', async () => {
    const named = tempRoot({ 'govern.config.yaml': 'profile: config/team.yaml\n' });
    expect((await init(named)).json).toMatchObject({ created: expect.arrayContaining(['config/team.yaml']), kept: ['govern.config.yaml'] });
    expect(fs.readFileSync(path.join(named, 'config/team.yaml'), 'utf8')).toMatch(/^name: team\nextends: default$/m);
    expect(fs.existsSync(path.join(named, 'profiles'))).toBe(false);

    const unnamed = tempRoot({ 'govern.config.yaml': 'include: []\n' });
    const r = await init(unnamed);
    expect(r.json).toMatchObject({ kept: ['govern.config.yaml'] });
    expect((r.json as { created: string[] }).created.some((f) => f.startsWith('profiles/'))).toBe(false);
  });

  it('--profile names the profile; a name that is not a file name is a usage error', async () => {
    const root = tempRoot();
    expect((await init(root, '--profile', 'team')).json).toMatchObject({ created: expect.arrayContaining(['profiles/team.yaml']) });
    expect(fs.readFileSync(path.join(root, 'govern.config.yaml'), 'utf8')).toContain('profile: profiles/team.yaml\n');
    const bad = await cli(['init', '--profile', '../x', '--root', tempRoot()]);
    expect(bad).toEqual({
      code: 2,
      out: '',
      err: "error: option '--profile <name>' argument '../x' is invalid. a profile name is letters, digits, \".\", \"_\" and \"-\" (it names profiles/<name>.yaml)\n(run with --help for usage)\n",
    });
  });
});

describe('govern init in a repository that plans outside workplans/ and trackers/', () => {
  // Every public repository govern was tried on kept its plan elsewhere (a ROADMAP.md at
  // the root, specs/README.md, plans/), and init wrote a configuration that read none of it.
  const ROADMAP = '# Roadmap\n\n| Milestone | Status |\n|---|---|\n| RM-01 Parser | Planned |\n| RM-02 Store | In Progress |\n';
  const SPECS = '# Specs\n\n| Spec | Status | Purpose |\n|---|---|---|\n| [api.md](./api.md) | Draft | The API |\n| [ui.md](./ui.md) | Complete | The UI |\n';
  const git = (root: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: root });

  it('includes the documents that hold items, names those a rule would read, and leaves out what git ignores, hidden folders, test fixtures and the starters', async () => {
    const root = tempRoot({
      'ROADMAP.md': ROADMAP,
      'docs/specs/README.md': SPECS,
      'README.md': '# App\n\nWhat it does.\n\n- [x] fast\n',
      'ignored/TODO.md': ROADMAP.replaceAll('RM-', 'IG-'),
      '.github/PLAN.md': ROADMAP.replaceAll('RM-', 'GH-'),
      'packages/app/tests/fixtures/plans/sample.md': ROADMAP.replaceAll('RM-', 'FX-'),
      '.gitignore': 'ignored/\n',
      'package-lock.json': '{}\n',
    });
    git(root, 'init', '-q');
    const r = await init(root);
    expect(r).toEqual({
      code: 0,
      json: {
        root,
        dryRun: false,
        created: ['govern.config.yaml', 'profiles/project.yaml', '.mcp.json', WORKFLOW_FILE],
        kept: ['trackers/', 'workplans/'],
        updated: ['.gitignore'],
        included: ['ROADMAP.md'],
        notes: [
          '1 document looks like tracking that the default profile does not read (docs/specs/README.md): `npx govern explain docs/specs/README.md` says which profile rule would read it; then add it to `include:`.',
        ],
      },
    });
    expect(fs.readFileSync(path.join(root, 'govern.config.yaml'), 'utf8')).toContain('\ninclude:\n  - "ROADMAP.md"\nexclude: []\n');
    const s = await cli(['status', '--json', '--root', root]);
    expect((oneJson(s.out) as { documents: { file: string; items: string[] }[] }).documents.map((d) => [d.file, d.items])).toEqual([['ROADMAP.md', ['RM-01', 'RM-02']]]);
    expect((await cli(['validate', '--root', root])).code).toBe(0);
  });

  it('outside git, walks the root without dependency, build and hidden folders', async () => {
    const root = tempRoot({
      'plans/roadmap.md': ROADMAP,
      'node_modules/pkg/ROADMAP.md': ROADMAP.replaceAll('RM-', 'NM-'),
      'dist/ROADMAP.md': ROADMAP.replaceAll('RM-', 'DI-'),
      '.cache/ROADMAP.md': ROADMAP.replaceAll('RM-', 'CA-'),
    });
    expect((await init(root)).json).toMatchObject({ included: ['plans/roadmap.md'], kept: ['trackers/', 'workplans/'] });
    // A starter that is there already is kept as itself, found documents or not.
    expect((await init(tempRoot({ 'plans/roadmap.md': ROADMAP, [STARTER_TRACKER]: '# Tracker\n' }))).json).toMatchObject({ kept: [STARTER_TRACKER, 'workplans/'] });
    // In words: the configuration says what it includes, and "next" points at those documents, not at starters.
    const text = await cli(['init', '--root', tempRoot({ 'plans/roadmap.md': ROADMAP }), '--no-color']);
    expect(text.out.split('\n').filter((l) => l.includes('govern.config.yaml') || l.startsWith('Next:'))).toEqual([
      '  created  govern.config.yaml  reads workplans/ and trackers/ and 1 document found elsewhere (include), profile profiles/project.yaml',
      'Next: npx govern status shows what govern reads in the documents it included, npx govern validate what it would have you fix.',
    ]);
  });
});

describe('adopting govern in a repository with history', () => {
  // The shape of the first real repository govern was tried in: a tracker whose
  // milestones were done long before govern, none with evidence. The first CI run of
  // the workflow init writes failed on every one.
  const ROADMAP = '| Milestone | Status |\n|---|---|\n| HX-01 Parser | Done |\n| HX-02 Store | Done |\n| HX-03 Sync | Planned |\n';
  const git = (root: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], { cwd: root, env: { ...process.env, GIT_AUTHOR_DATE: '2024-03-01T00:00:00Z', GIT_COMMITTER_DATE: '2024-03-01T00:00:00Z' } });

  it('init says which done items have no evidence; govern adopt records them; the audit then passes with one line for them', async () => {
    const root = tempRoot({ 'trackers/roadmap.md': ROADMAP, 'package-lock.json': '{}\n' });
    git(root, 'init', '-q');
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'plans from before govern');
    const r = await init(root);
    expect((r.json as { notes: string[] }).notes).toEqual([
      '2 done items have no evidence (HX-01, HX-02): `govern audit`, and so the CI workflow, fails on each. Work finished before govern: `npx govern adopt` records it as such (commit the documents first); other work: `npx govern close <id>`.',
    ]);
    expect((await cli(['audit', '--root', root])).code).toBe(1);
    git(root, 'add', '-A');
    git(root, 'commit', '-q', '-m', 'govern init');

    const dry = await cli(['adopt', '--dry-run', '--root', root, '--no-color']);
    expect(dry).toEqual({ code: 0, out: `  would adopt  HX-01  trackers/roadmap.md:3:18  Done\n  would adopt  HX-02  trackers/roadmap.md:4:17  Done\n2 would be adopted (--dry-run: nothing recorded)\n`, err: '' });
    const adopted = await cli(['adopt', '--json', '--root', root], { env: { GOVERN_ACTOR: 'maintainer' } });
    expect([adopted.code, (oneJson(adopted.out) as { adopted: { id: string }[] }).adopted.map((a) => a.id)]).toEqual([0, ['HX-01', 'HX-02']]);
    // govern history shows the adoption (it is no status change, so no transition).
    const record = fs.readFileSync(path.join(root, 'ops/audit/govern-audit.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as { id: string; item: string; at: string; reason: string | null }).find((r) => r.item === 'HX-01')!;
    const history = await cli(['history', 'HX-01', '--json', '--root', root]);
    expect((oneJson(history.out) as { adoptions: unknown }).adoptions).toEqual([{ id: record.id, actor: 'maintainer', at: record.at, reason: record.reason, inForce: true }]);
    const historyText = await cli(['history', 'HX-01', '--root', root, '--no-color']);
    expect(historyText.out.split('\n').filter((l) => l.startsWith('adopted'))).toEqual([
      `adopted as done before govern on ${record.at.replace('T', ' ').replace(/\.\d+/, '')} by maintainer (${record.reason}): in force, the audit asks no evidence of it`,
    ]);
    const audit = await cli(['audit', '--root', root, '--no-color']);
    expect(audit).toEqual({
      code: 0,
      out: 'audited 2 done items (2 adopted as done before govern, without evidence: `govern audit --json` lists them), 0 cited evidence roots, 0 summary claims: 0 errors, 0 warnings, 2 info\n',
      err: '',
    });
    expect(await cli(['adopt', '--root', root, '--no-color'])).toEqual({ code: 0, out: '0 adopted, 2 adopted before\n', err: '' });
    // Named, and not adoptable: a coded refusal, nothing recorded.
    const refused = await cli(['adopt', 'HX-03', '--json', '--root', root]);
    expect([refused.code, (oneJson(refused.out) as { error: { code: string } }).error.code]).toEqual([1, 'adopt-refused']);
  });
});
