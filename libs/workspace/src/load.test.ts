import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_PROFILE, PARSER_VERSION, compileProfile } from '@govern/workplan';
import { FragmentStore, discover, loadConfig, loadWorkspace, writeFileAtomic, type LoadOptions } from './index.js';
import { readAndParse } from './parse-files.js';
import { appendStoreHeader as appendHeader, readStoreFile as readStore } from './testing.js';

let root: string;
beforeEach(() => {
  root = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-'));
});
afterEach(() => {
  vi.restoreAllMocks();
  fs.rmSync(root, { recursive: true, force: true });
});

function write(rel: string, text: string): string {
  const abs = path.join(root, rel);
  fs.mkdirSync(path.dirname(abs), { recursive: true });
  fs.writeFileSync(abs, text);
  return abs;
}

/** Moves a file's mtime into the past so the cache may trust its stat. */
function age(rel: string, seconds = 60): void {
  const t = new Date(Date.now() - seconds * 1000);
  fs.utimesSync(path.join(root, rel), t, t);
}

const plan = (title: string, status = 'Done') => `# ${title}

## K0: ${title} milestone

Status: ${status}
`;

const TRACKER = `# Tracker

| Milestone | Depends On | Status |
|---|---|---|
| LM-01 Base | - | Done |
| LM-02 Next | LM-01 | Planned |
`;

const WORKPLAN = `---
id: WP-01
type: workplan
title: Work
status: planned
---

## T01 - Do it

id: WP-01-T01
status: planned
depends_on: LM-02
`;

/** Absolute paths passed to fs.readFileSync that are documents under the root. */
function spyDocumentReads(): () => string[] {
  const spy = vi.spyOn(fs, 'readFileSync');
  return () =>
    spy.mock.calls
      .map((c) => String(c[0]))
      .filter((p) => p.startsWith(root) && p.endsWith('.md'))
      .map((p) => path.relative(root, p).split(path.sep).join('/'))
      .sort();
}

const sha256 = (text: string) => crypto.createHash('sha256').update(text).digest('hex');


describe('discovery', () => {
  it('finds *.md under workplans/ and trackers/ recursively, skipping node_modules, dot-folders and other files', async () => {
    write('workplans/b.md', plan('B'));
    write('workplans/A.md', plan('A'));
    write('workplans/sub/deep/c.md', plan('C'));
    write('workplans/notes.txt', 'not markdown');
    write('workplans/readme.markdown', plan('Not .md'));
    write('workplans/node_modules/pkg/x.md', plan('X'));
    write('workplans/.hidden/y.md', plan('Y'));
    write('trackers/.git/z.md', plan('Z'));
    write('trackers/tracker.md', TRACKER);
    write('trackers/2025/q1.md', plan('Q1'));
    write('other/elsewhere.md', plan('Elsewhere'));
    write('README.md', plan('Readme'));

    const expected = ['trackers/2025/q1.md', 'trackers/tracker.md', 'workplans/A.md', 'workplans/b.md', 'workplans/sub/deep/c.md'];
    expect(discover(root, loadConfig(root).config)).toEqual(expected);
    const ws = await loadWorkspace({ root, cacheDir: null });
    expect(ws.documents.map((d) => d.file)).toEqual(expected);
    expect(ws.stats).toEqual({ files: 5, parsed: 5, cached: 0, workers: 0 });
    expect(ws.diagnostics).toEqual([]);
    expect(ws.root).toBe(path.resolve(root));
  });

  it('adds include globs from govern.config.yaml and removes exclude globs; paths are relative, /-separated, sorted', async () => {
    write(
      'govern.config.yaml',
      `# documents outside the default folders
include:
  - docs/plans/**/*.md
  - ROADMAP.md
exclude:
  - workplans/archive/**
  - docs/plans/drafts/*.md
`,
    );
    write('workplans/current.md', plan('Current'));
    write('workplans/archive/old.md', plan('Old'));
    write('docs/plans/2025/kickoff.md', plan('Kickoff'));
    write('docs/plans/drafts/wip.md', plan('Draft'));
    write('docs/plans/node_modules/dep.md', plan('Dep'));
    write('docs/other.md', plan('Other'));
    write('ROADMAP.md', plan('Roadmap'));

    const expected = ['ROADMAP.md', 'docs/plans/2025/kickoff.md', 'workplans/current.md'];
    const loaded = loadConfig(root);
    expect(loaded.diagnostics).toEqual([]);
    expect(loaded.config).toEqual({ include: ['docs/plans/**/*.md', 'ROADMAP.md'], exclude: ['workplans/archive/**', 'docs/plans/drafts/*.md'] });
    expect(discover(root, loaded.config)).toEqual(expected);
    const ws = await loadWorkspace({ root, cacheDir: null });
    expect(ws.documents.map((d) => d.file)).toEqual(expected);
    expect(ws.index.graph.nodes.map((n) => n.source.file)).toEqual(expected);
  });

  it('reads a root with neither default folder nor config as empty, without diagnostics', async () => {
    write('notes/a.md', plan('A'));
    const ws = await loadWorkspace({ root, cacheDir: null });
    expect(ws.documents).toEqual([]);
    expect(ws.diagnostics).toEqual([]);
    expect(ws.stats).toEqual({ files: 0, parsed: 0, cached: 0, workers: 0 });
  });
});

describe('govern.config.yaml problems', () => {
  const loadsDocuments = async () => {
    write('workplans/a.md', plan('A'));
    write('docs/extra.md', plan('Extra'));
    const ws = await loadWorkspace({ root, cacheDir: null });
    expect(ws.documents.map((d) => d.file)).toEqual(['workplans/a.md']);
    expect(ws.index.graph.nodes.map((n) => n.id)).toEqual(['a:K0']);
    return ws;
  };

  it('reports an unknown key at the key, and still loads documents', async () => {
    write('govern.config.yaml', 'include:\n  - docs/*.md\nbogus: true\n');
    const ws = await loadsDocuments();
    expect(ws.diagnostics).toEqual([
      { severity: 'error', code: 'config-invalid', message: 'unknown key "bogus"', expected: 'one of the documented keys', file: 'govern.config.yaml', line: 3, column: 1 },
    ]);
  });

  it('reports a value of the wrong type at the value, and still loads documents', async () => {
    write('govern.config.yaml', 'exclude: []\ninclude: docs/*.md\n');
    const ws = await loadsDocuments();
    expect(ws.diagnostics).toEqual([
      {
        severity: 'error',
        code: 'config-invalid',
        message: 'include: Invalid input: expected array, received string',
        file: 'govern.config.yaml',
        line: 2,
        column: 10,
      },
    ]);
  });

  it('reports a wrong-typed list entry at the entry', async () => {
    write('govern.config.yaml', 'include:\n  - docs/*.md\n  - 42\n');
    const ws = await loadsDocuments();
    expect(ws.diagnostics).toEqual([
      { severity: 'error', code: 'config-invalid', message: 'include.1: Invalid input: expected string, received number', file: 'govern.config.yaml', line: 3, column: 5 },
    ]);
  });

  it('reports a YAML syntax error with its position, and still loads documents', async () => {
    write('govern.config.yaml', 'include: [docs/*.md\nexclude: []\n');
    const ws = await loadsDocuments();
    expect(ws.diagnostics).toHaveLength(1);
    expect(ws.diagnostics[0]).toEqual({
      severity: 'error',
      code: 'yaml-syntax',
      message: expect.stringContaining('Flow sequence'),
      file: 'govern.config.yaml',
      line: 2,
      column: 1,
    });
  });
});

describe('profiles', () => {
  const DOC = `# Release plan

## K0: Ship it

Status: Landed

## K1: Follow up

Status: Done
`;

  it('a profile that extends default adds a status spelling; the default spellings still apply', async () => {
    write('workplans/release.md', DOC);
    const before = await loadWorkspace({ root });
    expect(before.index.graph.nodes.map((n) => [n.id, n.status, n.statusText])).toEqual([
      ['release:K0', null, 'Landed'],
      ['release:K1', 'done', 'Done'],
    ]);
    expect(before.diagnostics.map((d) => [d.code, d.file, d.line])).toEqual([['status-unrecognized', 'workplans/release.md', 5]]);

    write('govern.config.yaml', 'profile: profiles/custom.yaml\n');
    write('profiles/custom.yaml', 'name: custom\nextends: default\nstatuses:\n  done:\n    - landed\n');
    // Same cache directory: a profile change must re-parse, not serve the old results.
    const after = await loadWorkspace({ root });
    expect(after.index.graph.nodes.map((n) => [n.id, n.status, n.statusText])).toEqual([
      ['release:K0', 'done', 'Landed'],
      ['release:K1', 'done', 'Done'],
    ]);
    expect(after.diagnostics).toEqual([]);
    expect(after.stats).toEqual({ files: 1, parsed: 1, cached: 0, workers: 0 });
    expect(after.profile.profile.name).toBe('custom');
  });

  it('a profile that lists every status key changes normalization, and the cache re-parses on a profile change', async () => {
    write('workplans/release.md', DOC);
    const before = await loadWorkspace({ root });
    expect(before.index.byId.get('release:K0')?.status).toBeNull();

    write('govern.config.yaml', 'profile: profiles/custom.yaml\n');
    write(
      'profiles/custom.yaml',
      'name: custom\nextends: default\nstatuses:\n  done: [landed]\n  planned: []\n  in_progress: []\n  partial: []\n  blocked: []\n',
    );
    const after = await loadWorkspace({ root });
    expect(after.diagnostics).toEqual([]);
    expect(after.stats).toEqual({ files: 1, parsed: 1, cached: 0, workers: 0 });
    expect(after.index.graph.nodes.map((n) => [n.id, n.status, n.statusText])).toEqual([
      ['release:K0', 'done', 'Landed'],
      ['release:K1', 'done', 'Done'],
    ]);
  });

  it('reports an invalid profile file at the bad value and falls back to the default rules', async () => {
    write('workplans/release.md', DOC);
    write('govern.config.yaml', 'profile: profiles/custom.yaml\n');
    write('profiles/custom.yaml', 'extends: default\npriorities: high\n');
    const ws = await loadWorkspace({ root, cacheDir: null });
    expect(ws.diagnostics.filter((d) => d.file === 'profiles/custom.yaml')).toEqual([
      {
        severity: 'error',
        code: 'config-invalid',
        message: 'priorities: Invalid input: expected array, received string',
        file: 'profiles/custom.yaml',
        line: 2,
        column: 13,
      },
    ]);
    expect(ws.index.graph.nodes.map((n) => n.status)).toEqual([null, 'done']);
    expect(ws.profile.profile.name).toBe('default');
  });
});

describe('parse cache', () => {
  const FILES: Record<string, string> = {
    'trackers/tracker.md': TRACKER,
    'workplans/wp-01.md': WORKPLAN,
    'workplans/plan-a.md': plan('Alpha'),
    'workplans/plan-b.md': plan('Beta', 'Planned'),
  };
  const N = Object.keys(FILES).length;
  const writeAll = () => Object.entries(FILES).forEach(([rel, text]) => write(rel, text));

  it('writes the cache under <root>/.govern/cache by default', async () => {
    writeAll();
    await loadWorkspace({ root });
    expect(fs.existsSync(FragmentStore.fileFor(path.join(root, '.govern', 'cache')))).toBe(true);
  });

  it('stat path: trusts unchanged old files without reading them; re-parses only a changed file', async () => {
    writeAll();
    Object.keys(FILES).forEach((rel) => age(rel));
    const cold = await loadWorkspace({ root });
    expect(cold.stats).toEqual({ files: N, parsed: N, cached: 0, workers: 0 });

    const reads = spyDocumentReads();
    const warm = await loadWorkspace({ root });
    expect(warm.stats).toEqual({ files: N, parsed: 0, cached: N, workers: 0 });
    expect(reads()).toEqual([]);
    expect(warm.documents).toEqual(cold.documents);
    expect(warm.diagnostics).toEqual(cold.diagnostics);
    expect(JSON.stringify(warm.index.graph)).toBe(JSON.stringify(cold.index.graph));
    vi.restoreAllMocks();

    write('workplans/plan-b.md', plan('Beta', 'In progress'));
    const reads2 = spyDocumentReads();
    const changed = await loadWorkspace({ root });
    expect(changed.stats).toEqual({ files: N, parsed: 1, cached: N - 1, workers: 0 });
    expect(reads2()).toEqual(['workplans/plan-b.md']);
    expect(changed.index.byId.get('plan-b:K0')).toMatchObject({ status: 'in_progress', statusText: 'In progress' });
    expect(changed.documents.filter((d) => d.file !== 'workplans/plan-b.md')).toEqual(cold.documents.filter((d) => d.file !== 'workplans/plan-b.md'));
  });

  it('content-hash path: re-hashes recently modified files, serves unchanged content from the cache', async () => {
    writeAll(); // mtimes are "now": too recent for the stat to be trusted
    const cold = await loadWorkspace({ root });
    expect(cold.stats).toEqual({ files: N, parsed: N, cached: 0, workers: 0 });

    const reads = spyDocumentReads();
    const warm = await loadWorkspace({ root });
    expect(warm.stats).toEqual({ files: N, parsed: 0, cached: N, workers: 0 });
    expect(reads()).toEqual(Object.keys(FILES).sort());
    expect(warm.documents).toEqual(cold.documents);
    expect(JSON.stringify(warm.index.graph)).toBe(JSON.stringify(cold.index.graph));
    vi.restoreAllMocks();

    // A touched but unchanged file is a content hit; a changed one is re-parsed.
    age('workplans/plan-a.md', 3600);
    write('trackers/tracker.md', TRACKER.replace('| LM-02 Next | LM-01 | Planned |', '| LM-02 Next | LM-01 | Done |'));
    const changed = await loadWorkspace({ root });
    expect(changed.stats).toEqual({ files: N, parsed: 1, cached: N - 1, workers: 0 });
    expect(changed.index.byId.get('LM-02')?.status).toBe('done');
    expect(changed.documents.find((d) => d.file === 'workplans/plan-a.md')).toEqual(cold.documents.find((d) => d.file === 'workplans/plan-a.md'));
  });

  it('forgets deleted files and picks up new ones', async () => {
    writeAll();
    await loadWorkspace({ root });
    fs.rmSync(path.join(root, 'workplans/plan-a.md'));
    write('workplans/plan-c.md', plan('Gamma'));
    const ws = await loadWorkspace({ root });
    expect(ws.documents.map((d) => d.file)).toEqual(['trackers/tracker.md', 'workplans/plan-b.md', 'workplans/plan-c.md', 'workplans/wp-01.md']);
    expect(ws.stats).toEqual({ files: N, parsed: 1, cached: N - 1, workers: 0 });
  });

  it('ignores a corrupt cache file: cold start, no crash, and the cache is rewritten', async () => {
    writeAll();
    const reference = await loadWorkspace({ root, cacheDir: null });
    const cacheFile = FragmentStore.fileFor(path.join(root, '.govern', 'cache'));
    fs.mkdirSync(path.dirname(cacheFile), { recursive: true });
    fs.writeFileSync(cacheFile, Buffer.from('this is not a v8 serialized cache \u0000\u00ff\u0001', 'latin1'));

    const ws = await loadWorkspace({ root });
    expect(ws.stats).toEqual({ files: N, parsed: N, cached: 0, workers: 0 });
    expect(ws.documents).toEqual(reference.documents);
    expect(ws.diagnostics).toEqual(reference.diagnostics);

    const again = await loadWorkspace({ root });
    expect(again.stats.cached).toBe(N);
  });

  it('ignores a truncated cache file', async () => {
    writeAll();
    await loadWorkspace({ root });
    const cacheFile = FragmentStore.fileFor(path.join(root, '.govern', 'cache'));
    const bytes = fs.readFileSync(cacheFile);
    fs.writeFileSync(cacheFile, bytes.subarray(0, Math.floor(bytes.length / 2)));
    const ws = await loadWorkspace({ root });
    expect(ws.stats).toEqual({ files: N, parsed: N, cached: 0, workers: 0 });
    expect(ws.documents.map((d) => d.file)).toEqual(Object.keys(FILES).sort());
  });

  it('ignores a cache file whose header has valid checksums but malformed entries', async () => {
    writeAll();
    const reference = await loadWorkspace({ root });
    const cacheFile = FragmentStore.fileFor(path.join(root, '.govern', 'cache'));
    const { header } = readStore(cacheFile);
    // Keep the key the loader wrote (so the file is not rejected as another profile's
    // cache), but drop one location: the arrays no longer line up.
    appendHeader(cacheFile, { ...header, g: header.g.slice(3) });
    const ws = await loadWorkspace({ root });
    expect(ws.stats).toEqual({ files: N, parsed: N, cached: 0, workers: 0 });
    expect(ws.documents).toEqual(reference.documents);
  });

  it('a damaged part under an intact header costs a re-parse of that file, never a wrong result, and the store is repaired', async () => {
    writeAll();
    Object.keys(FILES).forEach((rel) => age(rel));
    const reference = await loadWorkspace({ root });
    const cacheFile = FragmentStore.fileFor(path.join(root, '.govern', 'cache'));
    const { header, bytes } = readStore(cacheFile);
    // One byte flipped inside the second file's graph part, one inside the third's parse result.
    const bad = Buffer.from(bytes);
    const flip = (at: number) => (bad[at] = bad[at]! ^ 0xff);
    flip(header.g[3]! + Math.floor(header.g[4]! / 2));
    flip(header.r[6]! + Math.floor(header.r[7]! / 2));
    fs.writeFileSync(cacheFile, bad);
    expect(readStore(cacheFile).header).toEqual(header);

    const reads = spyDocumentReads();
    const ws = await loadWorkspace({ root });
    expect(ws.stats).toEqual({ files: N, parsed: 1, cached: N - 1, workers: 0 });
    expect(reads()).toEqual([header.files[1]]);
    expect(ws.diagnostics).toEqual(reference.diagnostics);
    expect(ws.graphJson().toString('utf8')).toBe(reference.graphJson().toString('utf8'));
    // The damaged parse result is noticed when the documents are read: that file is parsed again.
    expect(ws.documents).toEqual(reference.documents);
    expect(reads()).toEqual([header.files[1], header.files[2]].sort());
    vi.restoreAllMocks();
    const again = await loadWorkspace({ root });
    expect(again.stats).toEqual({ files: N, parsed: 0, cached: N, workers: 0 });
    expect(again.documents).toEqual(reference.documents);
  });

  it('Workspace.hashes is the sha256 of every file as it is now: cold, warm from the cache, and from the graph snapshot', async () => {
    writeAll();
    Object.keys(FILES).forEach((rel) => age(rel));
    const expected = Object.fromEntries(Object.entries(FILES).map(([rel, text]) => [rel, sha256(text)]));
    const cold = await loadWorkspace({ root });
    expect(Object.fromEntries(cold.hashes)).toEqual(expected);
    cold.graphJson(); // writes the graph snapshot

    const reads = spyDocumentReads();
    const warm = await loadWorkspace({ root });
    expect(reads()).toEqual([]);
    expect(Object.fromEntries(warm.hashes)).toEqual(expected);
    vi.restoreAllMocks();

    const changed = plan('Beta', 'Done');
    write('workplans/plan-b.md', changed);
    const after = await loadWorkspace({ root });
    expect(Object.fromEntries(after.hashes)).toEqual({ ...expected, 'workplans/plan-b.md': sha256(changed) });
  });

  it('never serves a sha1 hash: an older cache file is not read, and a cache holding 40-hex hashes is a cold start', async () => {
    writeAll();
    Object.keys(FILES).forEach((rel) => age(rel));
    const cacheDir = path.join(root, '.govern', 'cache');
    const sha1 = (text: string) => crypto.createHash('sha1').update(text).digest('hex');
    // The previous format's file (v8, sha1 hashes, a wrong parse result) under its own name.
    fs.mkdirSync(cacheDir, { recursive: true });
    const stale = Object.fromEntries(
      Object.entries(FILES).map(([rel, text]) => {
        const st = fs.statSync(path.join(root, rel));
        return [rel, { size: st.size, mtimeMs: st.mtimeMs, hash: sha1(text), result: { document: null, diagnostics: [] } }];
      }),
    );
    fs.writeFileSync(path.join(cacheDir, `parse-v${PARSER_VERSION}.bin`), v8.serialize({ key: 'x', writtenAt: Date.now(), entries: stale }));
    const expected = Object.fromEntries(Object.entries(FILES).map(([rel, text]) => [rel, sha256(text)]));
    const cold = await loadWorkspace({ root });
    expect(cold.stats).toEqual({ files: N, parsed: N, cached: 0, workers: 0 });
    expect(Object.fromEntries(cold.hashes)).toEqual(expected);
    expect(cold.documents.map((d) => d.file)).toEqual(Object.keys(FILES).sort());

    // The current format with sha1 hashes slipped in under valid checksums: rejected too.
    const cacheFile = FragmentStore.fileFor(cacheDir);
    const { header } = readStore(cacheFile);
    appendHeader(cacheFile, { ...header, hashes: header.files.map((rel) => sha1(FILES[rel]!)) });
    const ws = await loadWorkspace({ root });
    expect(ws.stats).toEqual({ files: N, parsed: N, cached: 0, workers: 0 });
    expect(Object.fromEntries(ws.hashes)).toEqual(expected);
  });

  it('cacheDir: null reads and writes no cache and creates nothing under .govern', async () => {
    writeAll();
    Object.keys(FILES).forEach((rel) => age(rel));
    const first = await loadWorkspace({ root, cacheDir: null });
    const second = await loadWorkspace({ root, cacheDir: null });
    expect(fs.existsSync(path.join(root, '.govern'))).toBe(false);
    expect(first.stats).toEqual({ files: N, parsed: N, cached: 0, workers: 0 });
    expect(second.stats).toEqual({ files: N, parsed: N, cached: 0, workers: 0 });
    expect(second.documents).toEqual(first.documents);
  });

  it('uses a custom cacheDir instead of <root>/.govern', async () => {
    writeAll();
    const cacheDir = path.join(root, 'elsewhere', 'cache');
    await loadWorkspace({ root, cacheDir });
    const ws = await loadWorkspace({ root, cacheDir });
    expect(ws.stats.cached).toBe(N);
    expect(fs.existsSync(FragmentStore.fileFor(cacheDir))).toBe(true);
    expect(fs.existsSync(path.join(root, '.govern'))).toBe(false);
  });
});

describe('graph snapshot', () => {
  const FILES: Record<string, string> = {
    'trackers/tracker.md': TRACKER,
    'workplans/wp-01.md': WORKPLAN,
    'workplans/plan-a.md': plan('Alpha'),
    'workplans/plan-b.md': plan('Beta', 'Eventually'),
  };
  const N = Object.keys(FILES).length;
  const writeAll = () => Object.entries(FILES).forEach(([rel, text]) => write(rel, text));
  const storeFile = () => FragmentStore.fileFor(path.join(root, '.govern', 'cache'));
  /** What `graph --json` prints, computed without any cache. */
  const reference = async () => {
    const ws = await loadWorkspace({ root, cacheDir: null });
    return JSON.stringify({ nodes: ws.index.graph.nodes, diagnostics: ws.diagnostics });
  };
  const load = async (extra: Partial<LoadOptions> = {}) => {
    const phases: string[] = [];
    const ws = await loadWorkspace({ root, trace: (p) => phases.push(p), ...extra });
    return { ws, phases };
  };
  const SNAPSHOT_HIT = ['config', 'discover', 'cache-open', 'validate', 'stored-output', 'cache-save'];
  const BUILT = ['config', 'discover', 'cache-open', 'validate', 'fragments', 'parse', 'graph', 'output', 'cache-save'];

  it('a warm run with nothing changed serves the graph JSON from the snapshot: no document read, no graph built', async () => {
    writeAll();
    Object.keys(FILES).forEach((rel) => age(rel));
    const expected = await reference();
    const cold = await load();
    expect(cold.phases).toEqual(BUILT);
    expect(cold.ws.graphJson().toString('utf8')).toBe(expected);
    expect(fs.existsSync(storeFile())).toBe(true);

    const reads = spyDocumentReads();
    const warm = await load();
    expect(warm.phases).toEqual(SNAPSHOT_HIT);
    expect(reads()).toEqual([]);
    expect(warm.ws.graphJson().toString('utf8')).toBe(expected);
    expect(warm.ws.diagnostics).toEqual(cold.ws.diagnostics);
    expect(warm.ws.diagnostics.map((d) => d.code)).toEqual(['status-unrecognized']);
    expect(warm.ws.stats).toEqual({ files: N, parsed: 0, cached: N, workers: 0 });
  });

  it('documents and index are built on first access after a snapshot hit, once, equal to the cold ones', async () => {
    writeAll();
    Object.keys(FILES).forEach((rel) => age(rel));
    const cold = await load();
    cold.ws.graphJson();
    const warm = await load();
    expect(warm.phases).toEqual(SNAPSHOT_HIT);
    expect(warm.ws.documents).toEqual(cold.ws.documents);
    expect(warm.phases).toEqual([...SNAPSHOT_HIT, 'materialize']);
    expect(JSON.stringify(warm.ws.index.graph)).toBe(JSON.stringify(cold.ws.index.graph));
    expect(warm.ws.index.graph.diagnostics).toBe(warm.ws.diagnostics);
    expect([...warm.ws.index.rank]).toEqual([...cold.ws.index.rank]);
    expect(warm.phases).toEqual([...SNAPSHOT_HIT, 'materialize']);
  });

  // Issue 16: materialize() opened the parse cache without the build id, so with a build id
  // (as the bundled CLI passes) every document was parsed again after a snapshot hit and
  // the cache was saved under the wrong key, leaving the next command cold too.
  it('with a build id, documents after a snapshot hit come from the parse cache: zero files parsed, then and next time', async () => {
    writeAll();
    Object.keys(FILES).forEach((rel) => age(rel));
    const build = { buildId: 'build-1' };
    (await load(build)).ws.graphJson(); // `govern graph --json`: parses and writes the snapshot
    for (const run of ['first', 'second']) {
      const warm = await load(build); // then `govern next`: a snapshot hit that needs the documents
      expect(warm.ws.documents.length, run).toBe(N);
      expect(warm.ws.stats, run).toEqual({ files: N, parsed: 0, cached: N, workers: 0 });
      expect(warm.phases, run).toEqual([...SNAPSHOT_HIT, 'materialize']);
    }
  });

  it('misses on any change of input: a document, a deleted document, the profile, a config problem, the build', async () => {
    writeAll();
    Object.keys(FILES).forEach((rel) => age(rel));
    const PARSED = BUILT;
    // A changed status is no change of the graph's structure: the stored output is patched.
    const PATCHED = ['config', 'discover', 'cache-open', 'validate', 'parse', 'fragments', 'output', 'cache-save'];
    // A new node: the patch is tried (the file is parsed once), then the graph is updated.
    const STRUCTURE = ['config', 'discover', 'cache-open', 'validate', 'parse', 'fragments', 'parse', 'graph', 'output', 'cache-save'];
    const changes: [string, () => void, Partial<LoadOptions>, string[]][] = [
      ['document', () => write('workplans/plan-a.md', plan('Alpha', 'Planned')), {}, PATCHED],
      ['document structure', () => write('workplans/plan-a.md', plan('Alpha', 'Planned') + '\n## K1: More\n\nStatus: Done\n'), {}, STRUCTURE],
      ['deleted document', () => fs.rmSync(path.join(root, 'workplans/plan-b.md')), {}, BUILT],
      ['profile', () => write('profiles/default.yaml', 'name: custom\nextends: default\nstatuses:\n  done:\n    - eventually\n'), {}, PARSED],
      ['config problem', () => write('govern.config.yaml', 'bogus: true\n'), {}, BUILT],
      // Another build re-parses every document too: the build is part of the parse cache's key.
      ['build', () => {}, { buildId: 'another build' }, PARSED],
    ];
    for (const [what, change, extra, phases] of changes) {
      (await load()).ws.graphJson();
      expect((await load()).phases, what).toEqual(SNAPSHOT_HIT);
      change();
      const expected = await reference();
      const after = await load(extra);
      expect(after.phases, what).toEqual(phases);
      expect(after.ws.graphJson().toString('utf8'), what).toBe(expected);
      expect((await load(extra)).ws.graphJson().toString('utf8'), what).toBe(expected);
    }
    expect(await reference()).toContain('"code":"config-invalid"');
  });

  it('a damaged stored output is a miss, never wrong output, and is written again', async () => {
    writeAll();
    Object.keys(FILES).forEach((rel) => age(rel));
    const expected = await reference();
    (await load()).ws.graphJson();
    const good = fs.readFileSync(storeFile());
    const { header } = readStore(storeFile());
    const [at, length] = header.output!.diagnostics;
    const flipped = Buffer.from(good);
    flipped[at + length - 2] = flipped[at + length - 2]! ^ 0x01; // inside the diagnostics JSON: still text, but not what was written
    for (const bad of [flipped, good.subarray(0, good.length - 1), Buffer.from('not a store')]) {
      fs.writeFileSync(storeFile(), bad);
      const ws = await load();
      expect(ws.phases).toEqual(BUILT);
      expect(ws.ws.graphJson().toString('utf8')).toBe(expected);
      expect((await load()).phases).toEqual(SNAPSHOT_HIT);
    }
  });

  it('re-hashes recently modified files and still serves the snapshot; once they are old enough the cache is rewritten and the stat trusted', async () => {
    writeAll();
    const T = Date.now();
    Object.keys(FILES).forEach((rel) => age(rel, 1)); // modified 1 s before the cold run started: racy
    const now = vi.spyOn(Date, 'now').mockReturnValue(T);
    (await load()).ws.graphJson();

    // 5 s later: all four are re-hashed (same content), the snapshot still serves.
    now.mockReturnValue(T + 5000);
    let reads = spyDocumentReads();
    const first = await load();
    expect(first.phases).toEqual(SNAPSHOT_HIT);
    expect(reads()).toEqual(Object.keys(FILES).sort());

    // The cache was rewritten with this run as reference: the stat is trusted now.
    vi.restoreAllMocks();
    vi.spyOn(Date, 'now').mockReturnValue(T + 6000);
    reads = spyDocumentReads();
    expect((await load()).phases).toEqual(SNAPSHOT_HIT);
    expect(reads()).toEqual([]);
  });

  it('a file modified within 2 s of the run that wrote the cache is re-hashed on every run until it is older', async () => {
    writeAll();
    const T = Date.now();
    Object.keys(FILES).forEach((rel) => age(rel));
    fs.utimesSync(path.join(root, 'workplans/plan-a.md'), new Date(T + 4500), new Date(T + 4500));
    const now = vi.spyOn(Date, 'now').mockReturnValue(T);
    (await load()).ws.graphJson();
    now.mockReturnValue(T + 5000);
    for (let i = 0; i < 2; i++) {
      vi.restoreAllMocks();
      vi.spyOn(Date, 'now').mockReturnValue(T + 5000 + i);
      const reads = spyDocumentReads();
      expect((await load()).phases).toEqual(SNAPSHOT_HIT);
      expect(reads()).toEqual(['workplans/plan-a.md']);
    }
  });

  it('keeps no output of a root with an unreadable file', async () => {
    writeAll();
    fs.symlinkSync(path.join(root, 'missing-target.md'), path.join(root, 'workplans/dangling.md'));
    const expected = await reference();
    expect(expected).toContain('"code":"file-unreadable"');
    const cold = await load();
    expect(cold.ws.graphJson().toString('utf8')).toBe(expected);
    expect(readStore(storeFile()).header.output).toBe(null);
    const warm = await load();
    expect(warm.phases).toEqual(BUILT);
    expect(warm.ws.stats.parsed).toBe(1);
    expect(warm.ws.graphJson().toString('utf8')).toBe(expected);
  });

  it('without a cache directory the graph JSON is computed and nothing is written', async () => {
    writeAll();
    const ws = await loadWorkspace({ root, cacheDir: null });
    expect(ws.graphJson().toString('utf8')).toBe(JSON.stringify({ nodes: ws.index.graph.nodes, diagnostics: ws.diagnostics }));
    expect(ws.graphJson()).toBe(ws.graphJson());
    expect(fs.existsSync(path.join(root, '.govern'))).toBe(false);
  });
});

describe('unreadable files', () => {
  it('a dangling symlink named like a document yields a diagnostic; the other files are still read', async () => {
    write('workplans/good.md', plan('Good'));
    write('trackers/tracker.md', TRACKER);
    fs.symlinkSync(path.join(root, 'missing-target.md'), path.join(root, 'workplans/dangling.md'));
    const ws = await loadWorkspace({ root, cacheDir: null });
    expect(ws.documents.map((d) => d.file)).toEqual(['trackers/tracker.md', 'workplans/good.md']);
    expect(ws.diagnostics).toEqual([
      expect.objectContaining({ severity: 'error', code: 'file-unreadable', file: 'workplans/dangling.md', line: 1, column: 1 }),
    ]);
  });

  it('a directory named x.md does not stop the other files from being read', async () => {
    write('workplans/good.md', plan('Good'));
    fs.mkdirSync(path.join(root, 'workplans/x.md'));
    write('workplans/z.md', plan('Zed'));
    const ws = await loadWorkspace({ root });
    expect(ws.documents.map((d) => d.file)).toEqual(['workplans/good.md', 'workplans/z.md']);
    expect(ws.index.graph.nodes.map((n) => n.id)).toEqual(['good:K0', 'z:K0']);
  });

  it('readAndParse turns a read failure into a positioned diagnostic instead of throwing', () => {
    fs.mkdirSync(path.join(root, 'workplans/x.md'), { recursive: true });
    expect(readAndParse(root, 'workplans/x.md', compileProfile(DEFAULT_PROFILE))).toEqual({
      file: 'workplans/x.md',
      size: -1,
      mtimeMs: -1,
      hash: '',
      result: {
        document: null,
        diagnostics: [{ severity: 'error', code: 'file-unreadable', message: 'cannot read file: EISDIR', file: 'workplans/x.md', line: 1, column: 1 }],
      },
    });
    expect(readAndParse(root, 'workplans/absent.md', compileProfile(DEFAULT_PROFILE)).result.diagnostics).toEqual([
      { severity: 'error', code: 'file-unreadable', message: 'cannot read file: ENOENT', file: 'workplans/absent.md', line: 1, column: 1 },
    ]);
  });
});

describe('writeFileAtomic', () => {
  it('writes the content, creating folders, and leaves no temp files behind', () => {
    const file = path.join(root, 'a', 'b', 'state.json');
    writeFileAtomic(file, '{"v":1}\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('{"v":1}\n');
    expect(fs.readdirSync(path.dirname(file))).toEqual(['state.json']);
  });

  it('replaces existing content, also from bytes, and leaves no temp files behind', () => {
    const file = path.join(root, 'doc.md');
    fs.writeFileSync(file, 'old content that is longer than the new one\n');
    writeFileAtomic(file, 'new\n');
    expect(fs.readFileSync(file, 'utf8')).toBe('new\n');
    writeFileAtomic(file, new Uint8Array([0x68, 0x69, 0x0a]));
    expect(fs.readFileSync(file, 'utf8')).toBe('hi\n');
    for (let i = 0; i < 20; i++) writeFileAtomic(file, `round ${i}\n`);
    expect(fs.readFileSync(file, 'utf8')).toBe('round 19\n');
    expect(fs.readdirSync(root)).toEqual(['doc.md']);
  });

  it('throws when the rename fails and removes its temp file', () => {
    const target = path.join(root, 'occupied');
    fs.mkdirSync(path.join(target, 'child'), { recursive: true });
    expect(() => writeFileAtomic(target, 'x')).toThrow();
    expect(fs.readdirSync(root)).toEqual(['occupied']);
    expect(fs.statSync(target).isDirectory()).toBe(true);
  });
});

describe('Markdown engines', () => {
  it('the default engine and remark give the same documents and diagnostics', async () => {
    write('trackers/tracker.md', TRACKER);
    write('workplans/wp-01.md', WORKPLAN);
    write('workplans/plan-a.md', plan('Alpha'));
    write('workplans/plan-b.md', `# Beta\n\n## PHASE 1 — Setup — COMPLETE\n\n**Exit criteria:**\n\n- [x] done thing\n- [ ] open thing\n\n## PHASE 2 — Build\n\nStatus: Partial\nDepends on: 1\n`);
    const auto = await loadWorkspace({ root, cacheDir: null });
    const remark = await loadWorkspace({ root, cacheDir: null, engine: 'remark' });
    expect(auto.documents).toEqual(remark.documents);
    expect(auto.diagnostics).toEqual(remark.diagnostics);
  });
});

describe('document ids from the path when the file name is not unique', () => {
  const TASKS = (title: string) => `# ${title}

## Phase 1: Setup

Status: Done

- [ ] T001 Write it
- [ ] T002 Test it (depends on T001)
`;
  const A = 'workplans/specs/001-x/tasks.md';
  const B = 'workplans/specs/002-y/tasks.md';
  const ids = (ws: { index: { graph: { nodes: { id: string; document: string; localId: string; dependsOn: string[] }[] } } }) =>
    ws.index.graph.nodes.map((n) => [n.id, n.document, n.localId, n.dependsOn]);
  const pathNodes = (dir: string) => [
    [`${dir}:PHASE-1`, dir, 'PHASE-1', []],
    [`${dir}:T001`, dir, 'T001', []],
    [`${dir}:T002`, dir, 'T002', [`${dir}:T001`]],
  ];

  it('two tasks.md are both read, named by their paths; a file with a unique name keeps its file-name id', async () => {
    write(A, TASKS('First'));
    write(B, TASKS('Second'));
    write('trackers/tracker.md', TRACKER);
    const ws = await loadWorkspace({ root, cacheDir: null });
    expect(Object.fromEntries(ws.pathIds)).toEqual({ [A]: 'workplans/specs/001-x/tasks', [B]: 'workplans/specs/002-y/tasks' });
    expect(ws.diagnostics).toEqual([]);
    expect(ids(ws)).toEqual([
      ['LM-01', 'tracker', 'LM-01', []],
      ['LM-02', 'tracker', 'LM-02', ['LM-01']],
      ...pathNodes('workplans/specs/001-x/tasks'),
      ...pathNodes('workplans/specs/002-y/tasks'),
    ]);
    expect(ws.documents.map((d) => [d.file, d.id, d.idSource])).toEqual([
      ['trackers/tracker.md', 'tracker', 'file-name'],
      [A, 'workplans/specs/001-x/tasks', 'path'],
      [B, 'workplans/specs/002-y/tasks', 'path'],
    ]);
  });

  it('the parse cache never serves an id the file no longer has: adding and removing a namesake re-parses the other file', async () => {
    write(A, TASKS('First'));
    age(A);
    const alone = await loadWorkspace({ root });
    expect(ids(alone)).toEqual(pathNodes('tasks'));

    write(B, TASKS('Second'));
    age(B);
    const both = await loadWorkspace({ root });
    // A's stat is unchanged, but its cached result names it `tasks`: parsed again.
    expect(both.stats).toEqual({ files: 2, parsed: 2, cached: 0, workers: 0 });
    expect(ids(both)).toEqual([...pathNodes('workplans/specs/001-x/tasks'), ...pathNodes('workplans/specs/002-y/tasks')]);
    expect(both.diagnostics).toEqual([]);

    const warm = await loadWorkspace({ root });
    expect(warm.stats).toEqual({ files: 2, parsed: 0, cached: 2, workers: 0 });
    expect(warm.graphJson().toString('utf8')).toBe(both.graphJson().toString('utf8'));
    expect(ids(warm)).toEqual(ids(both));

    fs.rmSync(path.join(root, B));
    const back = await loadWorkspace({ root });
    expect(back.stats).toEqual({ files: 1, parsed: 1, cached: 0, workers: 0 });
    expect(ids(back)).toEqual(pathNodes('tasks'));
  });

  it('hasItems: from the graph, and on a snapshot hit from the snapshot without building the graph', async () => {
    write('workplans/notes.md', '# Notes\n\nNothing here.\n');
    age('workplans/notes.md');
    const cold = await loadWorkspace({ root });
    expect(cold.hasItems()).toBe(false);
    cold.graphJson(); // writes the snapshot, as `graph --json` does
    const phases: string[] = [];
    const warm = await loadWorkspace({ root, trace: (p) => phases.push(p) });
    expect([warm.hasItems(), phases.includes('stored-output'), phases.includes('graph'), warm.stats.parsed]).toEqual([false, true, false, 0]);
    write('workplans/plan.md', plan('Alpha'));
    age('workplans/plan.md');
    const again = await loadWorkspace({ root });
    expect(again.hasItems()).toBe(true);
    again.graphJson();
    const warm2 = await loadWorkspace({ root });
    expect([warm2.hasItems(), warm2.stats.parsed, warm2.stats.cached]).toEqual([true, 0, 2]);
  });
});
