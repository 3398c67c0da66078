import fs from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { HttpService } from '@govern/http-service';
import { loadWorkspace } from '@govern/workspace';
import { makeFixture } from './fixture.test-helper.js';
import { createWebView, type WebView } from './server.js';
import { serveRoutes } from './standalone.js';
import { gateReport } from '@govern/gates';
import { AGGREGATE_AT, criticalPath, graphView, GraphViewSchema } from './views.js';

// The routes over real HTTP on 127.0.0.1 (no browser): token, refusals, the JSON of the views.

const TOKEN = 'web-view-test-token-0123456789abcdef';
let root: string;
let view: WebView;
let http: HttpService;
beforeAll(async () => {
  root = makeFixture();
  view = await createWebView({ root, cacheDir: null, watch: false });
  http = await serveRoutes(view.routes, { token: TOKEN });
});
afterAll(async () => {
  await view.close();
  await http.stop();
  fs.rmSync(root, { recursive: true, force: true });
});
const get = async (p: string, auth = true) => {
  const r = await fetch(`${http.url}${p}`, { headers: auth ? { authorization: `Bearer ${TOKEN}` } : {}, redirect: 'manual' });
  const type = r.headers.get('content-type') ?? '';
  return { status: r.status, type, body: type.startsWith('application/json') ? ((await r.json()) as Record<string, unknown>) : await r.text() };
};

describe('web view routes', () => {
  it('serves the app and its assets without a token, the data only with it', async () => {
    const page = await get('/ui/', false);
    expect([page.status, page.type]).toEqual([200, 'text/html; charset=utf-8']);
    expect(page.body).toContain('<script src="/ui/assets/cytoscape.min.js"></script>');
    const cy = await get('/ui/assets/cytoscape.min.js', false);
    expect([cy.status, cy.type, String(cy.body).length]).toEqual([200, 'text/javascript; charset=utf-8', fs.readFileSync(path.join(import.meta.dirname, '../../../node_modules/cytoscape/dist/cytoscape.min.js'), 'utf8').length]);
    expect(await get('/', false)).toEqual({ status: 302, type: '', body: '' });
    expect(await get('/ui/api/board', false)).toEqual({
      status: 401,
      type: 'application/json; charset=utf-8',
      body: { error: { code: 'unauthorized', message: 'this service needs Authorization: Bearer <token>', details: {} } },
    });
    expect((await get('/ui/assets/../package.json', false)).status).toBe(404);
    expect((await get('/ui/assets/server.ts', false)).status).toBe(404);
  });

  it('answers each view as JSON', async () => {
    const meta = await get('/ui/api/meta');
    expect(meta.body).toEqual({ version: 1, writes: false, root: path.basename(root), items: 8, files: 2 });
    const gates = (await get('/ui/api/gates')).body as { gates: Array<{ name: string; enabled: boolean; chains: unknown }> };
    expect(gates.gates.map((g) => [g.name, g.enabled, g.chains])).toEqual([
      ['web', false, [{ id: 'LM-03', path: ['LM-02', 'LM-03'] }]],
      ['base', true, []],
    ]);
    const drift = (await get('/ui/api/drift')).body as { files: Array<{ file: string; diagnostics: Array<{ code: string; line: number }> }>; counts: unknown };
    expect(drift.files.map((f) => [f.file, f.diagnostics.map((d) => `${d.code}@${d.line}`)])).toEqual([
      ['govern.config.yaml', ['gate-project-missing@5']],
      ['workplans/wp-01.md', ['unknown-dependency@40']],
    ]);
    const graph = (await get('/ui/api/graph')).body as Record<string, unknown>;
    const { version: _version, ...rest } = graph;
    const g = GraphViewSchema.parse(rest);
    expect({ boundaries: g.nodes.filter((n) => n.kind === 'gate' || n.kind === 'project'), edges: g.edges.filter((e) => e.kind === 'gate'), gates: g.gates }).toEqual({
      boundaries: [
        { id: 'gate:web', label: 'gate web: disabled — blocked by LM-03', kind: 'gate', status: 'blocked', document: '', count: 0 },
        { id: 'project:web:libs/web', label: 'libs/web', kind: 'project', status: 'blocked', document: '', count: 0, parent: 'gate:web' },
        { id: 'gate:base', label: 'gate base: enabled (no project)', kind: 'gate', status: 'done', document: '', count: 0 },
      ],
      edges: [
        { source: 'LM-03', target: 'gate:web', kind: 'gate' },
        { source: 'LM-01', target: 'gate:base', kind: 'gate' },
      ],
      gates: [
        { id: 'gate:web', name: 'web', enabled: false, project: 'libs/web', projectNode: 'project:web:libs/web', requires: ['LM-03'], blockedBy: ['LM-03'], drawn: true },
        { id: 'gate:base', name: 'base', enabled: true, project: null, projectNode: null, requires: ['LM-01'], blockedBy: [], drawn: true },
      ],
    });
    const item = (await get('/ui/api/item?id=WP-01-T02')).body as Record<string, unknown>;
    expect([item.dependencies, item.dependents, item.path, item.pr]).toEqual([[{ id: 'WP-01-T01', title: 'Runner', status: 'in_progress' }], [], ['WP-01-T01', 'WP-01-T02'], null]);
  });

  it('refuses bad input with a coded error, never a stack trace', async () => {
    expect((await get('/ui/api/graph?status=finished')).body).toEqual({
      error: { code: 'bad-request', message: expect.stringMatching(/^bad filter: status: /) as unknown as string, details: {} },
    });
    expect(await get('/ui/api/item?id=NOPE')).toEqual({ status: 404, type: 'application/json; charset=utf-8', body: { error: { code: 'not-found', message: 'no item NOPE', details: {} } } });
    // Only the workspace's own documents are readable, never an arbitrary path.
    expect((await get('/ui/api/source?file=../../etc/passwd')).body).toEqual({ error: { code: 'not-found', message: '../../etc/passwd is not a document of this workspace', details: {} } });
    const bad = await fetch(`${http.url}/ui/api/status`, { method: 'POST', headers: { authorization: `Bearer ${TOKEN}` }, body: '{"id":"WP-01-T01","status":"blocked"}' });
    expect([bad.status, await bad.json()]).toEqual([403, { error: { code: 'writes-disabled', message: 'this server is read-only: start it with `govern serve --writes` to move cards', details: {} } }]);
  });
});

describe('graph view data', () => {
  it('aggregates by document above the threshold and keeps milestones on their own', async () => {
    const big = makeFixture();
    try {
      const tasks = Array.from({ length: AGGREGATE_AT }, (_, i) => `## T${i + 1} - Task ${i + 1}\n\nid: BIG-T${i + 1}\nstatus: ${i % 2 ? 'done' : 'planned'}\n${i ? `depends_on: BIG-T${i}\n` : 'depends_on: LM-02\n'}`);
      fs.writeFileSync(path.join(big, 'workplans/big.md'), `---\nid: BIG\ntype: workplan\ntitle: Big\nstatus: planned\n---\n\n# BIG\n\n${tasks.join('\n')}`);
      const ws = await loadWorkspace({ root: big, cacheDir: null });
      const g = graphView(ws, { mode: 'auto' }, []);
      expect({ mode: g.mode, total: g.total, nodes: g.nodes.map((n) => [n.id, n.status, n.count, n.counts ?? null]), edges: g.edges }).toEqual({
        mode: 'documents',
        total: 8 + AGGREGATE_AT + 1,
        nodes: [
          ['LM-01', 'done', 1, null],
          ['LM-02', 'in_progress', 1, null],
          ['LM-03', 'planned', 1, null],
          ['doc:BIG', 'in_progress', AGGREGATE_AT + 1, { planned: AGGREGATE_AT / 2 + 1, done: AGGREGATE_AT / 2 }],
          ['doc:WP-01', 'in_progress', 5, { in_progress: 2, planned: 2, done: 1 }],
        ],
        edges: [
          { source: 'LM-02', target: 'LM-01', kind: 'depends' },
          { source: 'LM-03', target: 'LM-02', kind: 'depends' },
          { source: 'doc:BIG', target: 'LM-02', kind: 'depends' },
        ],
      });
      // A filter below the threshold draws items again.
      expect(graphView(ws, { mode: 'auto', doc: 'WP-01' }, []).mode).toBe('items');
      expect(criticalPath(ws, 'BIG-T3')).toEqual(['BIG-T3']);
      expect(criticalPath(ws, 'BIG-T2')).toEqual(['LM-02', 'BIG-T1', 'BIG-T2']);
    } finally {
      fs.rmSync(big, { recursive: true, force: true });
    }
  });

  it('draws each gate as a boundary around its project, once per gate, fed by its requirements', async () => {
    const dir = makeFixture();
    try {
      // Two gates enable libs/web; one requires a task, which aggregation draws as its document.
      fs.writeFileSync(
        path.join(dir, 'govern.config.yaml'),
        'gates:\n  web:\n    requires: [LM-03]\n    project: libs/web\n  web-next:\n    requires: [LM-01, WP-01-T03]\n    project: libs/web\n  runner:\n    requires: [WP-01-T01, LM-02]\n    project: libs/runner\n  hidden:\n    requires: [NOPE-1]\n    project: libs/hidden\n',
      );
      const ws = await loadWorkspace({ root: dir, cacheDir: null });
      const gates = gateReport(ws).gates;
      const pick = (v: ReturnType<typeof graphView>) => ({ nodes: v.nodes.filter((n) => n.kind === 'gate' || n.kind === 'project'), edges: v.edges.filter((e) => e.kind === 'gate'), drawn: v.gates.map((g) => [g.id, g.drawn]) });
      const boundaries = [
        { id: 'gate:web', label: 'gate web: disabled — blocked by LM-03', kind: 'gate', status: 'blocked', document: '', count: 0 },
        { id: 'project:web:libs/web', label: 'libs/web', kind: 'project', status: 'blocked', document: '', count: 0, parent: 'gate:web' },
        { id: 'gate:web-next', label: 'gate web-next: enabled', kind: 'gate', status: 'done', document: '', count: 0 },
        { id: 'project:web-next:libs/web', label: 'libs/web', kind: 'project', status: 'done', document: '', count: 0, parent: 'gate:web-next' },
        { id: 'gate:runner', label: 'gate runner: disabled — blocked by WP-01-T01, LM-02', kind: 'gate', status: 'blocked', document: '', count: 0 },
        { id: 'project:runner:libs/runner', label: 'libs/runner', kind: 'project', status: 'blocked', document: '', count: 0, parent: 'gate:runner' },
      ];
      const drawn = [['gate:web', true], ['gate:web-next', true], ['gate:runner', true], ['gate:hidden', false]];
      const gateEdges = (...pairs: [source: string, target: string][]) => pairs.map(([source, target]) => ({ source, target, kind: 'gate' }));
      // One filter a row: items draw each requirement, documents aggregate a task into its
      // document, and a filter that hides every requirement of a gate hides its boundary too.
      const table: [name: string, filter: Parameters<typeof graphView>[1], expected: unknown][] = [
        ['items', { mode: 'items' }, { nodes: boundaries, edges: gateEdges(['LM-03', 'gate:web'], ['LM-01', 'gate:web-next'], ['WP-01-T03', 'gate:web-next'], ['WP-01-T01', 'gate:runner'], ['LM-02', 'gate:runner']), drawn }],
        ['documents', { mode: 'documents' }, { nodes: boundaries, edges: gateEdges(['LM-03', 'gate:web'], ['LM-01', 'gate:web-next'], ['doc:WP-01', 'gate:web-next'], ['doc:WP-01', 'gate:runner'], ['LM-02', 'gate:runner']), drawn }],
        [
          'auto, prefix LM-03',
          { mode: 'auto', prefix: 'LM-03' },
          { nodes: boundaries.slice(0, 2), edges: gateEdges(['LM-03', 'gate:web']), drawn: [['gate:web', true], ['gate:web-next', false], ['gate:runner', false], ['gate:hidden', false]] },
        ],
      ];
      expect(Object.fromEntries(table.map(([name, filter]) => [name, pick(graphView(ws, filter, gates))]))).toEqual(Object.fromEntries(table.map(([name, , expected]) => [name, expected])));
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
