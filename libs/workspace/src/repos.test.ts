import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { blockedItems, nextActionable } from '@govern/graph';
import { gitRemoteUrl, loadRepositories, loadWorkspace, remoteRepoName, repoIdentity, type ReposWorkspace } from './index.js';

// Real folders holding two or three small repositories, real `git init` and remotes.

let tmp: string;
beforeEach(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-repos-'));
});
afterEach(() => {
  fs.rmSync(tmp, { recursive: true, force: true });
});

function repo(folder: string, files: Record<string, string>, remote?: string): string {
  const root = path.join(tmp, folder);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  if (remote !== undefined) {
    execFileSync('git', ['init', '-q', root], { stdio: 'ignore' });
    if (remote) execFileSync('git', ['-C', root, 'remote', 'add', 'origin', remote], { stdio: 'ignore' });
  }
  return root;
}

const DOME_TRACKER = `# Dome tracker

| Milestone | Depends On | Status |
|---|---|---|
| LM-10 Semantics migration | xtrlv2:SS-02 | Planned |
| LM-11 Binder v1 | LM-10 | Planned |

## Cross-Repo Dependency Matrix

\`1\` means row item depends on column item.

| Row \\\\ Col | CR-01 dome | CR-02 xtrlv2 SSOT |
|---|---:|---:|
| CR-01 dome | 0 | 1 |
| CR-02 xtrlv2 SSOT | 0 | 0 |
`;

const xtrlv2Tracker = (ss02: string) => `# SSOT tracker

| Milestone | Depends On | Status |
|---|---|---|
| SS-01 Schema | - | Done |
| SS-02 Reason codes | SS-01 | ${ss02} |
| SS-03 Publish | dome:LM-11 | Planned |
`;

/** dome (this root) and xtrlv2, cloned into a folder named otherwise. */
function twoRepos(ss02 = 'In Progress', config = 'repos:\n  - ../ssot-checkout\n'): string {
  repo('ssot-checkout', { 'trackers/ssot.md': xtrlv2Tracker(ss02) }, 'https://github.com/acme/xtrlv2.git');
  return repo('work', { 'govern.config.yaml': config, 'trackers/dome.md': DOME_TRACKER }, 'git@github.com:acme/dome.git');
}

const view = (ws: { index: ReposWorkspace['index'] }) => nextActionable(ws.index).map((n) => [n.id, n.repo, n.status, n.source.file]);

describe('a graph across repositories', () => {
  it('spans both roots: `repo:ID` dependencies resolve both ways, and next answers across them', async () => {
    const root = twoRepos();
    const ws = (await loadRepositories({ root, cacheDir: null })) as ReposWorkspace;
    expect(ws.diagnostics).toEqual([]);
    expect(ws.repositories).toEqual([
      { name: 'dome', source: 'git-remote', path: '.', primary: true, loaded: true, documents: 1, items: 2 },
      { name: 'xtrlv2', source: 'git-remote', path: '../ssot-checkout', primary: false, loaded: true, documents: 1, items: 3 },
    ]);
    expect(ws.index.graph.nodes.map((n) => [n.id, n.repo, n.status, n.dependsOn, n.source.file, n.document])).toEqual([
      ['xtrlv2:SS-01', 'xtrlv2', 'done', [], '../ssot-checkout/trackers/ssot.md', 'xtrlv2:ssot'],
      ['xtrlv2:SS-02', 'xtrlv2', 'in_progress', ['xtrlv2:SS-01'], '../ssot-checkout/trackers/ssot.md', 'xtrlv2:ssot'],
      ['xtrlv2:SS-03', 'xtrlv2', 'planned', ['LM-11'], '../ssot-checkout/trackers/ssot.md', 'xtrlv2:ssot'],
      ['LM-10', 'dome', 'planned', ['xtrlv2:SS-02'], 'trackers/dome.md', 'dome'],
      ['LM-11', 'dome', 'planned', ['LM-10'], 'trackers/dome.md', 'dome'],
      // The cross-repo matrix's rows: read into the graph, status derived from the repository each names.
      ['CR-01', 'dome', 'planned', ['CR-02'], 'trackers/dome.md', 'dome'],
      ['CR-02', 'dome', 'in_progress', [], 'trackers/dome.md', 'dome'],
    ]);
    // The matrix rows are containers (kind workplan): next lists the work itself.
    expect(view(ws)).toEqual([['xtrlv2:SS-02', 'xtrlv2', 'in_progress', '../ssot-checkout/trackers/ssot.md']]);
    expect(blockedItems(ws.index).map((b) => [b.node.id, b.blockers.map((x) => x.id)])).toEqual([
      ['LM-10', ['xtrlv2:SS-02']],
      ['LM-11', ['LM-10']],
      ['xtrlv2:SS-03', ['LM-11']],
      ['CR-01', ['CR-02']],
    ]);
    const row = ws.index.byId.get('CR-02')!;
    expect([row.kind, row.title, row.source, row.statusText]).toEqual(['workplan', 'xtrlv2 SSOT', { file: 'trackers/dome.md', line: 15, column: 1 }, null]);
    expect(JSON.parse(ws.graphJson().toString('utf8'))).toEqual({ nodes: JSON.parse(JSON.stringify(ws.index.graph.nodes)), diagnostics: [] });
  });

  it('when the other repository finishes its dependency, the item that waited on it is next', async () => {
    const root = twoRepos('Done');
    const ws = await loadRepositories({ root, cacheDir: null });
    expect(view(ws)).toEqual([['LM-10', 'dome', 'planned', 'trackers/dome.md']]);
  });

  it('a row naming an item of the repository it names is that item, and the matrix cell is its dependency', async () => {
    repo('x', { 'trackers/ssot.md': '| Milestone | Status |\n|---|---|\n| CR-02 SSOT contract | Done |\n' }, 'https://github.com/acme/xtrlv2');
    const root = repo('d', { 'govern.config.yaml': 'repo: dome\nrepos: [../x]\n', 'trackers/dome.md': DOME_TRACKER.replace('xtrlv2:SS-02', '-') }, '');
    const ws = await loadRepositories({ root, cacheDir: null });
    expect(ws.diagnostics).toEqual([]);
    expect(ws.index.graph.nodes.map((n) => [n.id, n.status, n.dependsOn])).toEqual([
      ['xtrlv2:CR-02', 'done', []],
      ['LM-10', 'planned', []],
      ['LM-11', 'planned', ['LM-10']],
      ['CR-01', 'planned', ['xtrlv2:CR-02']],
    ]);
    expect(view(ws).map(([id]) => id)).toEqual(['LM-10']);
    expect(ws.index.byId.get('CR-01')?.kind).toBe('workplan');
    expect(blockedItems(ws.index).map((b) => b.node.id)).toEqual(['LM-11']);
  });

  it("a repository's own name and a plan's document-qualified ids resolve in that repository, even where a document is named like a repository", async () => {
    const plan = ['# Roadmap', '', '## K0: Base', 'Status: Done', '', '## K1: Next', 'Status: Planned', 'Depends on: K0', '', '## K2: Later', 'Status: Planned', 'Depends on: xtrlv2:K1', ''].join('\n');
    repo('x', { 'govern.config.yaml': 'repo: xtrlv2\n', 'trackers/xtrlv2.md': plan });
    const root = repo('d', {
      'govern.config.yaml': 'repo: dome\nrepos: [../x]\n',
      'trackers/dome.md': '| Milestone | Depends On | Status |\n|---|---|---|\n| LM-10 A | - | Done |\n| LM-11 B | dome:LM-10, xtrlv2:xtrlv2:K1 | Planned |\n',
    });
    const ws = await loadRepositories({ root, cacheDir: null });
    expect(ws.diagnostics).toEqual([]);
    expect(ws.index.graph.nodes.map((n) => [n.id, n.dependsOn])).toEqual([
      ['xtrlv2:xtrlv2:K0', []],
      ['xtrlv2:xtrlv2:K1', ['xtrlv2:xtrlv2:K0']],
      ['xtrlv2:xtrlv2:K2', ['xtrlv2:xtrlv2:K1']],
      ['LM-10', []],
      ['LM-11', ['LM-10', 'xtrlv2:xtrlv2:K1']],
    ]);
  });

  it('an unknown repository, an unknown id and a missing root are positioned diagnostics; the other roots are read', async () => {
    repo('x', { 'trackers/ssot.md': xtrlv2Tracker('Done') }, 'https://github.com/acme/xtrlv2.git');
    repo('w', { 'trackers/w.md': '| Milestone | Depends On | Status |\n|---|---|---|\n| WA-01 Envelopes | xtrlv2:SS-01 | Planned |\n' }, 'https://github.com/acme/watcher.git');
    const tracker = [
      '| Milestone | Depends On | Status |',
      '|---|---|---|',
      '| LM-10 A | nope:X-1 | Planned |',
      '| LM-11 B | xtrlv2:SS-99 | Planned |',
      '| LM-12 C | gone:G-1 | Planned |',
      '| LM-13 D | watcher:WA-01 | Planned |',
      '',
    ].join('\n');
    const config = ['repo: dome', 'repos:', '  - ../x', '  - path: ../missing', '    name: gone', '  - path: ../w', ''].join('\n');
    const root = repo('d', { 'govern.config.yaml': config, 'trackers/dome.md': tracker });
    const ws = (await loadRepositories({ root, cacheDir: null })) as ReposWorkspace;
    const dep = (line: number, column: number, message: string, note: string) => ({ severity: 'error', code: 'unknown-dependency', message, file: 'trackers/dome.md', line, column, note });
    expect(ws.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'repo-unreadable',
        message: 'repos: ../missing: cannot read it (ENOENT); the other repositories are read without it',
        file: 'govern.config.yaml',
        line: 4,
        column: 11,
      },
      dep(3, 13, 'LM-10 depends on nope:X-1, which does not exist', 'no repository named nope in the graph; govern.config.yaml repos: gives dome, xtrlv2, watcher, gone'),
      dep(4, 13, 'LM-11 depends on xtrlv2:SS-99, which does not exist', 'repository xtrlv2 has no item SS-99'),
      dep(5, 13, 'LM-12 depends on gone:G-1, which does not exist', 'repository gone could not be read (see its repos: entry in govern.config.yaml)'),
    ]);
    expect(ws.repositories.map((r) => [r.name, r.path, r.loaded])).toEqual([
      ['dome', '.', true],
      ['xtrlv2', '../x', true],
      ['gone', '../missing', false],
      ['watcher', '../w', true],
    ]);
    // The third repository's item waits on xtrlv2's, which is done; xtrlv2:SS-03 waits on dome's LM-11.
    expect(view(ws).map(([id]) => id)).toEqual(['watcher:WA-01']);
    expect(blockedItems(ws.index).map((b) => [b.node.id, b.blockers.map((x) => `${x.id} ${x.exists ? x.status : 'missing'}`)])).toEqual([
      ['LM-10', ['nope:X-1 missing']],
      ['LM-11', ['xtrlv2:SS-99 missing']],
      ['xtrlv2:SS-03', ['LM-11 planned']],
      ['LM-12', ['gone:G-1 missing']],
      ['LM-13', ['watcher:WA-01 planned']],
    ]);
    expect(ws.index.byId.get('LM-13')?.dependsOn).toEqual(['watcher:WA-01']);
  });

  it("another root's own errors are its diagnostics, at its files as seen from this root; it is read all the same", async () => {
    repo('x', { 'govern.config.yaml': 'repo: xtrlv2\nbogus: 1\n', 'trackers/ssot.md': '| Milestone | Status |\n|---|---|\n| SS-01 A | Wobbly |\n| SS-02 B | Planned |\n' });
    const root = repo('d', { 'govern.config.yaml': 'repo: dome\nrepos: [{ path: ../x, name: xtrlv2 }]\n', 'trackers/dome.md': '| Milestone | Depends On | Status |\n|---|---|---|\n| LM-10 A | xtrlv2:SS-02 | Planned |\n' });
    const ws = await loadRepositories({ root, cacheDir: null });
    expect(ws.diagnostics.map((d) => [d.severity, d.code, d.file, d.line])).toEqual([
      ['error', 'config-invalid', '../x/govern.config.yaml', 2],
      ['warning', 'status-unrecognized', '../x/trackers/ssot.md', 3],
    ]);
    expect(ws.index.graph.nodes.map((n) => n.id)).toEqual(['xtrlv2:SS-01', 'xtrlv2:SS-02', 'LM-10']);
    expect(view(ws).map(([id]) => id)).toEqual(['xtrlv2:SS-02']);
  });

  it('a root with no name is refused at its entry; two roots with one name are one too many', async () => {
    repo('anon', { 'trackers/a.md': '| Milestone | Status |\n|---|---|\n| AN-01 A | Planned |\n' });
    repo('clone-a', { 'trackers/s.md': xtrlv2Tracker('Done') }, 'https://github.com/acme/xtrlv2.git');
    repo('clone-b', { 'trackers/s.md': xtrlv2Tracker('Done') }, 'git@github.com:acme/xtrlv2.git');
    const root = repo('d', { 'govern.config.yaml': 'repo: dome\nrepos:\n  - ../anon\n  - ../clone-a\n  - ../clone-b\n', 'trackers/dome.md': '| Milestone | Status |\n|---|---|\n| LM-10 A | Planned |\n' });
    const ws = (await loadRepositories({ root, cacheDir: null })) as ReposWorkspace;
    expect(ws.diagnostics.map((d) => [d.code, d.file, d.line, d.message])).toEqual([
      // The loaded clone's tracker names dome:LM-11, which this root does not have.
      ['unknown-dependency', '../clone-a/trackers/s.md', 7, 'xtrlv2:SS-03 depends on LM-11, which does not exist'],
      ['repo-unidentified', 'govern.config.yaml', 3, 'repos: ../anon: cannot tell its name: it has no `repo:` in govern.config.yaml and no git remote (origin, or a single remote) to take a name from, or give this entry a `name:`'],
      ['repo-duplicate', 'govern.config.yaml', 5, 'repos: ../clone-b: its name xtrlv2 is already the name of another repository of the graph; give this entry another `name:`'],
    ]);
    expect(ws.repositories.map((r) => [r.name, r.path, r.loaded])).toEqual([
      ['dome', '.', true],
      [null, '../anon', false],
      ['xtrlv2', '../clone-a', true],
      [null, '../clone-b', false],
    ]);
  });

  it('without repos: it is loadWorkspace, byte for byte, and nodes carry no repo', async () => {
    const root = repo('solo', { 'trackers/dome.md': DOME_TRACKER }, 'git@github.com:acme/dome.git');
    const multi = await loadRepositories({ root, cacheDir: null });
    const single = await loadWorkspace({ root, cacheDir: null });
    expect(multi.graphJson().toString('utf8')).toBe(single.graphJson().toString('utf8'));
    expect('repositories' in multi).toBe(false);
    expect(multi.index.graph.nodes.some((n) => 'repo' in n)).toBe(false);
    fs.writeFileSync(path.join(root, 'govern.config.yaml'), '# no repos yet\nrepos:\n');
    const empty = await loadRepositories({ root, cacheDir: null });
    expect(['repositories' in empty, empty.graphJson().toString('utf8')]).toEqual([false, single.graphJson().toString('utf8')]);
  });

  it("keeps other roots' caches under this root's cache, and a warm run gives the same graph", async () => {
    const root = twoRepos();
    const cacheDir = path.join(tmp, 'cache');
    const cold = await loadRepositories({ root, cacheDir });
    const warm = await loadRepositories({ root, cacheDir });
    expect(warm.graphJson().toString('utf8')).toBe(cold.graphJson().toString('utf8'));
    expect(fs.readdirSync(path.join(cacheDir, 'repos')).length).toBe(1);
    expect(fs.existsSync(path.join(tmp, 'ssot-checkout', '.govern'))).toBe(false);
  });
});

describe('repository identity', () => {
  it('comes from the git remote, so two clones in differently named folders are one repository', () => {
    const a = repo('dome-main', {}, 'git@github.com:acme/dome.git');
    const b = repo('scratch copy', {}, 'https://user:s3cret@github.com/acme/dome');
    expect([repoIdentity(a, undefined), repoIdentity(b, undefined)]).toEqual([
      { identity: { name: 'dome', source: 'git-remote', remote: 'git@github.com:acme/dome.git' } },
      { identity: { name: 'dome', source: 'git-remote', remote: 'https://github.com/acme/dome' } },
    ]);
  });

  it('configuration wins over the remote; a folder without either has none, whatever its name', () => {
    const a = repo('dome', {}, 'git@github.com:acme/dome.git');
    const plain = repo('xtrlv2', {});
    expect(repoIdentity(a, 'dome-fork')).toEqual({ identity: { name: 'dome-fork', source: 'config' } });
    expect(repoIdentity(plain, undefined)).toEqual({
      identity: null,
      problem: 'it has no `repo:` in govern.config.yaml and no git remote (origin, or a single remote) to take a name from',
    });
  });

  it('a folder inside a repository is not that repository; a repository without a remote has no remote name', () => {
    const a = repo('outer', { 'sub/x.md': '' }, 'git@github.com:acme/outer.git');
    const none = repo('bare', {}, '');
    expect([gitRemoteUrl(a), gitRemoteUrl(path.join(a, 'sub')), gitRemoteUrl(none)]).toEqual(['git@github.com:acme/outer.git', null, null]);
  });

  it('reads the repository name out of the usual remote URL forms', () => {
    expect(
      ['git@github.com:acme/dome.git', 'https://github.com/acme/dome/', 'ssh://git@host:22/srv/phase-memory.git', '/srv/git/xtrlv2.git', 'file:///tmp/a b/c', 'https://x/-bad'].map(remoteRepoName),
    ).toEqual(['dome', 'dome', 'phase-memory', 'xtrlv2', 'c', null]);
  });
});
