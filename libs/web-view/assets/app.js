/* govern web view: plain browser JavaScript, no build step, nothing from the network. */
/* global window, document, sessionStorage, location, requestAnimationFrame, cytoscape, getComputedStyle, CSS */
'use strict';

(function () {
  const STATUS = {
    planned: { symbol: '○', label: 'Planned' },
    in_progress: { symbol: '◐', label: 'In progress' },
    partial: { symbol: '◑', label: 'Partial' },
    blocked: { symbol: '✖', label: 'Blocked' },
    done: { symbol: '✔', label: 'Done' },
    none: { symbol: '?', label: 'No status' },
  };
  const ORDER = ['planned', 'in_progress', 'partial', 'blocked', 'done'];
  const main = document.getElementById('main');
  const live = document.getElementById('live');
  const message = document.getElementById('message');
  let cy = null;
  let rendering = 0;

  // A token passed once as ?token= is kept for this tab only and removed from the address.
  const params = new URLSearchParams(location.search);
  if (params.get('token')) {
    sessionStorage.setItem('govern-token', params.get('token'));
    window.history.replaceState(null, '', location.pathname + location.hash);
  }
  const headers = () => {
    const t = sessionStorage.getItem('govern-token');
    return t ? { authorization: 'Bearer ' + t } : {};
  };

  /** A DOM element; children are nodes or text (never parsed as HTML). */
  function h(tag, attrs, ...children) {
    const el = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (v === null || v === undefined || v === false) continue;
      if (k.startsWith('on')) el.addEventListener(k.slice(2), v);
      else if (k === 'dataset') Object.assign(el.dataset, v);
      else el.setAttribute(k, v === true ? '' : String(v));
    }
    for (const c of children.flat()) if (c !== null && c !== undefined && c !== false) el.append(c instanceof window.Node ? c : String(c));
    return el;
  }
  const statusOf = (s) => STATUS[s || 'none'] || STATUS.none;
  /** The status as symbol and word: never color alone. */
  const badge = (s, text) => h('span', { class: 'status s-' + (s || 'none') }, statusOf(s).symbol + ' ' + (text || statusOf(s).label));
  const itemLink = (id) => h('a', { href: '#/item/' + encodeURIComponent(id) }, id);
  const sourceLink = (file, line, text) => h('a', { href: '#/source/' + encodeURIComponent(file) + (line ? '?line=' + line : '') }, text || (line ? file + ':' + line : file));

  async function api(path, init) {
    const res = await fetch('/ui/api/' + path, { ...(init || {}), headers: { ...headers(), ...((init && init.headers) || {}) } });
    const body = await res.json().catch(() => ({}));
    if (!res.ok) {
      const e = new Error((body.error && body.error.message) || res.statusText);
      e.code = body.error && body.error.code;
      throw e;
    }
    return body;
  }
  function say(text, ok) {
    message.hidden = !text;
    message.textContent = text || '';
    message.className = ok ? 'ok' : '';
  }

  function route() {
    const raw = location.hash.replace(/^#\/?/, '') || 'graph';
    const [pathPart, query] = raw.split('?');
    const [view, ...rest] = pathPart.split('/');
    return { view, arg: rest.length ? decodeURIComponent(rest.join('/')) : '', query: new URLSearchParams(query || '') };
  }

  async function render() {
    const r = route();
    const mine = ++rendering;
    for (const a of document.querySelectorAll('nav a')) {
      if (a.dataset.view === r.view) a.setAttribute('aria-current', 'page');
      else a.removeAttribute('aria-current');
    }
    const views = { graph: graphView, board: boardView, item: itemView, gates: gatesView, drift: driftView, source: sourceView };
    const fn = views[r.view] || graphView;
    // Keep the focused card or link across a live re-render.
    const focusedId = document.activeElement && document.activeElement.dataset ? document.activeElement.dataset.id : undefined;
    try {
      const content = await fn(r);
      if (mine !== rendering) return;
      if (cy && r.view !== 'graph') (cy.destroy(), (cy = null));
      main.replaceChildren(...[].concat(content.nodes || content));
      if (content.after) content.after();
      if (focusedId) {
        const again = main.querySelector('[data-id="' + CSS.escape(focusedId) + '"]');
        if (again) again.focus();
      }
      document.body.dataset.view = r.view;
    } catch (err) {
      if (mine !== rendering) return;
      main.replaceChildren(h('h1', {}, 'Could not load this view'), h('p', { class: 'sev-error' }, err.message));
      document.body.dataset.view = r.view;
    }
  }

  // ---- Graph -------------------------------------------------------------
  async function graphView(r) {
    const q = new URLSearchParams();
    for (const k of ['doc', 'status', 'prefix', 'mode']) if (r.query.get(k)) q.set(k, r.query.get(k));
    const data = await api('graph?' + q);
    const set = (k, v) => {
      const next = new URLSearchParams(r.query);
      if (v) next.set(k, v);
      else next.delete(k);
      location.hash = '#/graph?' + next;
    };
    const docSel = h('select', { id: 'f-doc', onchange: (e) => set('doc', e.target.value) }, h('option', { value: '' }, 'all documents'), data.documents.map((d) => h('option', { value: d, selected: d === r.query.get('doc') }, d)));
    const stSel = h('select', { id: 'f-status', onchange: (e) => set('status', e.target.value) }, h('option', { value: '' }, 'any status'), [...ORDER, 'none'].map((s) => h('option', { value: s, selected: s === r.query.get('status') }, statusOf(s).symbol + ' ' + statusOf(s).label)));
    const prefix = h('input', { id: 'f-prefix', value: r.query.get('prefix') || '', placeholder: 'GV-WP-0014', onchange: (e) => set('prefix', e.target.value.trim()) });
    const modeSel = h('select', { id: 'f-mode', onchange: (e) => set('mode', e.target.value) }, ['auto', 'items', 'documents'].map((m) => h('option', { value: m, selected: m === (r.query.get('mode') || 'auto') }, m)));
    const target = h('input', { id: 'f-path', placeholder: 'item id', 'aria-label': 'Critical path to item' });
    const pathOut = h('p', { id: 'path-out', class: 'path', 'aria-live': 'polite' });
    const showPath = async () => {
      const id = target.value.trim();
      if (!id) return;
      try {
        const p = await api('path?id=' + encodeURIComponent(id));
        pathOut.replaceChildren('Critical path: ', ...p.path.flatMap((x, i) => (i ? [' → ', itemLink(x)] : [itemLink(x)])));
        if (cy) {
          cy.elements().removeClass('onpath');
          const ids = new Set(p.path);
          cy.nodes().filter((n) => ids.has(n.id())).addClass('onpath');
          cy.edges().filter((e) => ids.has(e.source().id()) && ids.has(e.target().id())).addClass('onpath');
        }
      } catch (err) {
        pathOut.textContent = err.message;
      }
    };
    const container = h('div', { id: 'cy', role: 'img', 'aria-label': 'Dependency graph: ' + data.nodes.length + ' nodes, ' + data.edges.length + ' edges; the same content is listed below' });
    const summary = h('p', { id: 'graph-summary' }, data.mode === 'documents'
      ? `${data.shown} of ${data.total} items, one node per document (milestones on their own); choose a document to see its items.`
      : `${data.shown} of ${data.total} items.`);
    const legend = h('div', { class: 'legend', 'aria-label': 'Legend' }, [...ORDER, 'none'].map((s) => badge(s)),
      h('span', {}, '▭ gate: a boundary around the project it enables (solid ✔ enabled, dashed ✖ disabled)'), h('span', {}, '⇢ (dashed) required by a gate'), h('span', {}, '→ depends on'));
    // The list is the canvas's text alternative and its keyboard path: every node is a link.
    const gateName = new Map(data.gates.map((g) => [g.id, g.name]));
    const cells = (n) => {
      if (n.kind === 'document') return [h('a', { href: '#/graph?doc=' + encodeURIComponent(n.document) }, n.document), n.label, badge(n.status)];
      const state = badge(n.status, n.status === 'done' ? 'enabled' : 'disabled');
      if (n.kind === 'gate') return [h('a', { href: '#/gates' }, n.id), n.label, state];
      if (n.kind === 'project') return [h('a', { href: '#/gates' }, n.label), n.label + ', inside gate ' + gateName.get(n.parent), state];
      return [itemLink(n.id), n.label, badge(n.status)];
    };
    const rows = data.nodes.map((n) => h('tr', { dataset: { node: n.id } }, cells(n).map((c) => h('td', {}, c))));
    const alt = h('details', { class: 'alt' }, h('summary', {}, 'The graph as a list'), h('table', {}, h('thead', {}, h('tr', {}, h('th', {}, 'Node'), h('th', {}, 'Label'), h('th', {}, 'Status'))), h('tbody', {}, rows)));
    const zoom = (f) => cy && cy.zoom({ level: cy.zoom() * f, renderedPosition: { x: cy.width() / 2, y: cy.height() / 2 } });
    const toolbar = h('div', { class: 'toolbar' },
      h('label', {}, 'Document', docSel), h('label', {}, 'Status', stSel), h('label', {}, 'Id prefix', prefix), h('label', {}, 'Nodes', modeSel),
      h('label', {}, 'Critical path to', target), h('button', { type: 'button', onclick: showPath }, 'Show path'),
      h('button', { type: 'button', 'aria-label': 'Zoom in', onclick: () => zoom(1.25) }, '+'), h('button', { type: 'button', 'aria-label': 'Zoom out', onclick: () => zoom(0.8) }, '−'), h('button', { type: 'button', onclick: () => cy && cy.fit() }, 'Fit'));
    return {
      nodes: [h('h1', {}, 'Graph'), toolbar, summary, legend, container, pathOut, alt],
      after: () => drawGraph(container, data),
    };
  }

  function drawGraph(container, data) {
    if (cy) cy.destroy();
    const css = getComputedStyle(document.documentElement);
    const color = (s) => css.getPropertyValue('--' + (s || 'none')).trim() || '#888';
    const fg = css.getPropertyValue('--fg').trim();
    const statusById = new Map(data.nodes.map((n) => [n.id, n.status]));
    const projectOf = new Map(data.gates.filter((g) => g.drawn && g.projectNode).map((g) => [g.id, g.projectNode]));
    cy = cytoscape({
      container,
      elements: [
        ...data.nodes.map((n) => ({
          data: {
            id: n.id, label: statusOf(n.status).symbol + ' ' + n.label, kind: n.kind, color: color(n.status), size: n.kind === 'document' ? Math.min(90, 24 + Math.sqrt(n.count) * 4) : 22, doc: n.document,
            ...(n.kind === 'gate' || n.kind === 'project' ? { state: n.status === 'done' ? 'enabled' : 'disabled' } : {}),
            ...(n.parent ? { parent: n.parent } : {}),
          },
        })),
        ...data.edges.map((e, i) => ({ data: { id: 'e' + i, source: e.source, target: e.target, kind: e.kind, ...(e.kind === 'gate' ? { color: color(statusById.get(e.target)) } : {}) } })),
        // breadthfirst places childless nodes only and does not follow an edge into a
        // boundary: a hidden edge to the project inside puts it below what the gate requires.
        ...data.edges.filter((e) => e.kind === 'gate' && projectOf.has(e.target)).map((e, i) => ({ data: { id: 'l' + i, source: e.source, target: projectOf.get(e.target), kind: 'layout' } })),
      ],
      style: [
        { selector: 'node', style: { 'background-color': 'data(color)', label: 'data(label)', color: fg, 'font-size': 9, 'text-wrap': 'ellipsis', 'text-max-width': 160, width: 'data(size)', height: 'data(size)', 'min-zoomed-font-size': 7 } },
        // A gate is a boundary: tinted with its state's color, solid when enabled and dashed
        // when disabled, its state in words under it (the edges of what it requires come
        // from above); the project it enables sits inside.
        { selector: 'node[kind = "gate"]', style: { shape: 'round-rectangle', 'background-opacity': 0.12, 'border-width': 2, 'border-color': 'data(color)', 'text-valign': 'bottom', 'text-halign': 'center', 'text-margin-y': 4, 'font-size': 10, 'font-weight': 'bold', 'text-max-width': 260, padding: 14, width: 80, height: 28 } },
        { selector: 'node[kind = "gate"][state = "disabled"]', style: { 'border-style': 'dashed' } },
        { selector: 'node[kind = "project"]', style: { shape: 'round-rectangle', 'border-width': 1, 'border-color': fg, width: 36, height: 20 } },
        { selector: 'node[kind = "milestone"]', style: { shape: 'round-rectangle' } },
        { selector: 'edge', style: { width: 1, 'line-color': '#8c959f', 'target-arrow-color': '#8c959f', 'target-arrow-shape': 'triangle', 'curve-style': 'haystack' } },
        // Bezier edges cost most to draw; a large graph gets straight ones.
        { selector: 'edge[kind = "depends"]', style: { 'curve-style': data.nodes.length > 500 ? 'straight' : 'bezier' } },
        { selector: 'edge[kind = "part-of"]', style: { 'line-style': 'dotted', 'target-arrow-shape': 'none' } },
        { selector: 'edge[kind = "gate"]', style: { 'line-style': 'dashed', width: 2, 'curve-style': 'bezier', 'line-color': 'data(color)', 'target-arrow-color': 'data(color)' } },
        { selector: 'edge[kind = "layout"]', style: { display: 'none' } },
        { selector: '.onpath', style: { 'border-width': 4, 'border-color': '#bf3989', 'line-color': '#bf3989', 'target-arrow-color': '#bf3989', width: 3 } },
        { selector: ':selected', style: { 'border-width': 3, 'border-color': fg } },
      ],
      layout: { name: data.nodes.length > 2000 ? 'grid' : 'breadthfirst', directed: true, spacingFactor: 1, animate: false, avoidOverlap: data.nodes.length < 500 },
      wheelSensitivity: 0.3,
      hideEdgesOnViewport: data.edges.length > 1000,
      textureOnViewport: data.nodes.length > 1000,
    });
    // Read by the browser tests (cytoscape's own API on what was drawn), as the benchmark reads __governFirstRender.
    window.__governCy = cy;
    cy.on('tap', 'node', (e) => {
      const d = e.target.data();
      if (d.kind === 'document') location.hash = '#/graph?doc=' + encodeURIComponent(d.doc) + '&mode=items';
      else if (d.kind === 'gate' || d.kind === 'project') location.hash = '#/gates';
      else location.hash = '#/item/' + encodeURIComponent(d.id);
    });
    // First render: after the layout, on the frame that paints it (the benchmark reads this).
    requestAnimationFrame(() => requestAnimationFrame(() => {
      if (window.__governFirstRender === undefined) window.__governFirstRender = performance.now();
      document.body.dataset.rendered = String(data.version);
    }));
  }

  // ---- Board -------------------------------------------------------------
  async function boardView(r) {
    const q = new URLSearchParams();
    for (const k of ['doc', 'prefix']) if (r.query.get(k)) q.set(k, r.query.get(k));
    const data = await api('board?' + q);
    const move = async (card, status) => {
      try {
        const out = await api('status', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ id: card.id, status, ...(card.hash ? { expect: card.hash } : {}) }) });
        say(out.result.changed ? `${card.id}: ${out.result.from.text || '(none)'} → ${out.result.to.text}` : `${card.id} is already ${out.result.to.text}`, true);
        await render();
        const again = main.querySelector('[data-id="' + CSS.escape(card.id) + '"]');
        if (again) again.focus();
      } catch (err) {
        say(`${card.id} not moved: ${err.message}${err.code ? ' (' + err.code + ')' : ''}`);
      }
    };
    const cols = data.columns.map((col, ci) => {
      const list = h('ul', { class: 'cards', 'aria-label': statusOf(col.status).label + ' cards' }, col.cards.map((c, ri) => {
        const select = data.writes && col.status !== 'none'
          ? h('label', { class: 'meta' }, 'Move to ', h('select', { 'aria-label': 'Move ' + c.id + ' to', 'data-move': c.id, onchange: (e) => e.target.value && move(c, e.target.value) },
              h('option', { value: '' }, '—'), ORDER.filter((s) => s !== col.status).map((s) => h('option', { value: s }, statusOf(s).symbol + ' ' + statusOf(s).label))))
          : null;
        return h('li', {
          class: 'card', tabindex: 0, draggable: data.writes ? 'true' : null, dataset: { id: c.id, status: c.status || 'none', col: ci, row: ri },
          'aria-label': `${c.id} ${c.title}, ${statusOf(c.status).label}${c.priority ? ', priority ' + c.priority : ''}${c.blockers.length ? ', blocked by ' + c.blockers.join(', ') : ''}`,
          ondragstart: (e) => e.dataTransfer.setData('text/plain', c.id),
          onkeydown: (e) => cardKey(e, c, ci, ri, data, move),
        },
        h('div', {}, itemLink(c.id), ' ', badge(c.status, c.statusText)),
        h('div', {}, c.title),
        h('div', { class: 'meta' }, c.priority ? 'priority ' + c.priority : 'no priority', c.blockers.length ? ' · blocked by ' + c.blockers.join(', ') : ''),
        select);
      }));
      return h('section', {
        class: 'column', 'aria-label': `${statusOf(col.status).label} (${col.cards.length})`, dataset: { status: col.status },
        ondragover: (e) => (data.writes ? (e.preventDefault(), e.currentTarget.classList.add('drop')) : null),
        ondragleave: (e) => e.currentTarget.classList.remove('drop'),
        ondrop: (e) => {
          e.preventDefault();
          e.currentTarget.classList.remove('drop');
          const id = e.dataTransfer.getData('text/plain');
          const card = data.columns.flatMap((x) => x.cards).find((x) => x.id === id);
          if (card && col.status !== 'none' && card.status !== col.status) move(card, col.status);
        },
      }, h('h2', {}, badge(col.status), ' ', String(col.cards.length)), list);
    });
    return [
      h('h1', {}, 'Board'),
      h('p', { id: 'board-help', class: 'muted' }, data.writes
        ? 'Arrow keys move between cards, Enter opens one; Shift+Left/Right or the Move to menu changes its status (the same write as govern task set-status).'
        : 'Read-only: arrow keys move between cards, Enter opens one. Start govern serve with --writes to move cards.'),
      h('div', { class: 'board', id: 'board' }, cols),
    ];
  }

  function cardKey(e, card, ci, ri, data, move) {
    const focusAt = (c, r) => {
      const col = main.querySelectorAll('.column')[c];
      if (!col) return;
      const cards = col.querySelectorAll('.card');
      const el = cards[Math.min(r, cards.length - 1)];
      if (el) el.focus();
    };
    if (e.target !== e.currentTarget) return; // keys inside the menu belong to it
    if (e.key === 'Enter') location.hash = '#/item/' + encodeURIComponent(card.id);
    else if (e.shiftKey && (e.key === 'ArrowRight' || e.key === 'ArrowLeft') && data.writes) {
      const i = ORDER.indexOf(card.status);
      const next = ORDER[i + (e.key === 'ArrowRight' ? 1 : -1)];
      if (next) move(card, next);
    } else if (e.key === 'ArrowDown') focusAt(ci, ri + 1);
    else if (e.key === 'ArrowUp') focusAt(ci, Math.max(0, ri - 1));
    else if (e.key === 'ArrowRight') focusAt(ci + 1, ri);
    else if (e.key === 'ArrowLeft') focusAt(Math.max(0, ci - 1), ri);
    else return;
    e.preventDefault();
  }

  // ---- Item --------------------------------------------------------------
  async function itemView(r) {
    const d = await api('item?id=' + encodeURIComponent(r.arg));
    const it = d.item;
    const list = (xs, empty) => (xs.length ? h('ul', {}, xs.map((x) => h('li', {}, itemLink(x.id), ' ', x.title || '', ' ', badge(x.status)))) : h('p', { class: 'muted' }, empty));
    const ev = d.evidence;
    const evidence = ev.manifest
      ? [
          h('p', { id: 'freshness' }, `Recorded ${ev.manifest.createdAt}${ev.ageDays !== null ? ` (${ev.ageDays} days ago)` : ''}, commit ${ev.manifest.gitCommit || 'none'}, ${ev.manifest.passed ? '✔ passed' : '✖ not passed'}${ev.manifest.treeClean === false ? ', with uncommitted changes' : ''}.`),
          h('table', { id: 'evidence' }, h('thead', {}, h('tr', {}, ['Check', 'Command', 'Exit code', 'Duration', 'Log'].map((x) => h('th', {}, x)))),
            h('tbody', {}, ev.manifest.checks.map((c, i) => h('tr', {}, h('td', {}, c.name), h('td', {}, h('code', {}, c.command)), h('td', {}, (c.exitCode === 0 ? '✔ ' : '✖ ') + c.exitCode), h('td', {}, (c.durationMs / 1000).toFixed(1) + ' s'),
              h('td', {}, c.outputFile ? h('a', { href: '/ui/api/evidence-log?id=' + encodeURIComponent(it.id) + '&check=' + i, onclick: (e) => showLog(e, it.id, i) }, c.outputFile) : '—'))))),
          h('pre', { id: 'log', class: 'source', hidden: true, tabindex: 0, 'aria-label': 'Check output' }),
        ]
      : [h('p', { id: 'evidence', class: 'muted' }, `${ev.root ? 'Evidence root ' + ev.root + ': ' : ''}${ev.problem}`)];
    const hist = d.history.error
      ? h('p', { id: 'history', class: 'muted' }, 'History unavailable: ' + d.history.error)
      : d.history.transitions.length
        ? h('table', { id: 'history' }, h('thead', {}, h('tr', {}, ['When', 'From', 'To', 'Who', 'Source'].map((x) => h('th', {}, x)))),
            h('tbody', {}, d.history.transitions.map((t) => h('tr', {}, h('td', {}, t.date || ''), h('td', {}, t.from ? badge(t.from.status, t.from.text) : '—'), h('td', {}, t.to ? badge(t.to.status, t.to.text) : '—'), h('td', {}, t.author || ''), h('td', {}, t.source + (t.commit ? ' ' + t.commit.slice(0, 10) : ''))))))
        : h('p', { id: 'history', class: 'muted' }, 'No recorded status changes.');
    return [
      h('h1', {}, it.id + ' — ' + it.title),
      h('p', {}, badge(it.status, it.statusText), ' ', it.kind, it.priority ? ' · priority ' + it.priority : '', ' · ', sourceLink(it.source.file, it.source.line)),
      d.path.length > 1 ? h('p', { class: 'path', id: 'item-path' }, 'Critical path: ', ...d.path.flatMap((x, i) => (i ? [' → ', itemLink(x)] : [itemLink(x)]))) : null,
      h('h2', {}, 'Criteria'),
      it.criteria.length
        ? h('ul', { id: 'criteria' }, it.criteria.map((c) => h('li', {}, c.checked === null ? '• ' : h('input', { type: 'checkbox', disabled: true, checked: c.checked, 'aria-label': c.checked ? 'checked' : 'not checked' }), ' ', c.checked === null ? '' : c.checked ? '[done] ' : '[open] ', c.text)))
        : h('p', { class: 'muted', id: 'criteria' }, 'No criteria.'),
      h('h2', {}, 'Checks'),
      it.checks.length ? h('ul', { id: 'checks' }, it.checks.map((c) => h('li', {}, h('code', {}, c.command)))) : h('p', { class: 'muted', id: 'checks' }, 'No checks.'),
      h('h2', {}, 'Evidence'), ...evidence,
      h('h2', {}, 'History'), hist,
      h('h2', {}, 'Pull request'), d.pr ? h('p', {}, h('a', { href: d.pr }, d.pr)) : h('p', { class: 'muted' }, 'None recorded.'),
      h('h2', {}, 'Depends on'), list(d.dependencies, 'Nothing.'),
      h('h2', {}, 'Needed by'), list(d.dependents, 'Nothing.'),
      d.children.length ? [h('h2', {}, 'Contains'), list(d.children, '')] : null,
    ].flat().filter(Boolean);
  }

  /** Shows a check's output under the table (fetched with the token, which a plain link would not send). */
  async function showLog(e, id, i) {
    e.preventDefault();
    const pre = document.getElementById('log');
    const res = await fetch('/ui/api/evidence-log?id=' + encodeURIComponent(id) + '&check=' + i, { headers: headers() });
    pre.textContent = res.ok ? await res.text() : 'Could not read the output: ' + res.statusText;
    pre.hidden = false;
    pre.focus();
  }

  // ---- Gates -------------------------------------------------------------
  async function gatesView() {
    const d = await api('gates');
    if (!d.gates.length) return [h('h1', {}, 'Gates'), h('p', {}, 'No gates declared (gates: in govern.config.yaml).')];
    return [
      h('h1', {}, 'Gates'),
      h('table', { id: 'gates' }, h('thead', {}, h('tr', {}, ['Gate', 'State', 'Project', 'Requires', 'Blocked by'].map((x) => h('th', {}, x)))),
        h('tbody', {}, d.gates.map((g) => h('tr', { dataset: { gate: g.name } },
          h('td', {}, h('strong', {}, g.name), g.description ? h('div', { class: 'muted' }, g.description) : null),
          h('td', {}, g.enabled ? badge('done', 'enabled') : badge('blocked', 'disabled')),
          h('td', {}, g.project || '—'),
          h('td', {}, g.requires.map((q) => h('div', {}, itemLink(q.id), ' ', badge(q.status, q.found ? null : 'not defined')))),
          h('td', {}, g.chains.length ? g.chains.map((c) => h('div', { class: 'path' }, ...c.path.flatMap((x, i) => (i ? [' → ', itemLink(x)] : [itemLink(x)])))) : '—'))))),
    ];
  }

  // ---- Drift -------------------------------------------------------------
  async function driftView() {
    const d = await api('drift');
    return [
      h('h1', {}, 'Drift'),
      h('p', { id: 'drift-summary' }, `${d.counts.error} errors, ${d.counts.warning} warnings, ${d.counts.info} notes in ${d.files.length} files.`),
      ...d.files.map((f) => h('section', { class: 'drift-file', dataset: { file: f.file } }, h('h2', {}, sourceLink(f.file, null)),
        h('ul', {}, f.diagnostics.map((x) => h('li', {}, h('span', { class: 'sev-' + x.severity }, (x.severity === 'error' ? '✖ ' : x.severity === 'warning' ? '⚠ ' : 'ℹ ') + x.severity), ' ', sourceLink(f.file, x.line, `${f.file}:${x.line}:${x.column}`), ' ', h('code', {}, x.code), ' ', x.message))))),
    ];
  }

  async function sourceView(r) {
    const d = await api('source?file=' + encodeURIComponent(r.arg));
    const line = Number(r.query.get('line')) || 0;
    const pre = h('pre', { class: 'source', tabindex: 0 }, d.text.split('\n').map((t, i) => h('span', { id: 'L' + (i + 1), class: i + 1 === line ? 'hit' : null }, String(i + 1).padStart(5) + '  ' + t)));
    return { nodes: [h('h1', {}, d.file), pre], after: () => line && pre.querySelector('#L' + line) && pre.querySelector('#L' + line).scrollIntoView({ block: 'center' }) };
  }

  // ---- Live updates (server-sent events, read with fetch so a token can be sent) ----
  async function listen() {
    for (;;) {
      try {
        const res = await fetch('/ui/api/events', { headers: headers() });
        if (!res.ok || !res.body) throw new Error(res.statusText);
        live.textContent = 'live';
        const reader = res.body.getReader();
        const dec = new TextDecoder();
        let buf = '';
        for (;;) {
          const { value, done } = await reader.read();
          if (done) break;
          buf += dec.decode(value, { stream: true });
          let i;
          while ((i = buf.indexOf('\n\n')) >= 0) {
            const block = buf.slice(0, i);
            buf = buf.slice(i + 2);
            const ev = /^event: (.*)$/m.exec(block);
            const data = /^data: (.*)$/m.exec(block);
            if (ev && ev[1] === 'change' && data) {
              const v = JSON.parse(data[1]).version;
              live.textContent = 'live · updated';
              await render();
              document.body.dataset.version = String(v);
            } else if (ev && ev[1] === 'hello' && data) document.body.dataset.version = String(JSON.parse(data[1]).version);
          }
        }
      } catch (_err) {
        // fall through to the retry
      }
      live.textContent = 'disconnected; retrying';
      await new Promise((res) => setTimeout(res, 1000));
    }
  }

  window.addEventListener('hashchange', () => (say(''), render()));
  render();
  listen();
})();
