/**
 * @govern/web-view — the pages `govern serve` shows: graph, board, item, gates and
 * drift, from bundled static assets (no build step, no network), fed by a long-lived
 * workspace that a file watcher keeps current and pushes to open pages.
 */
export { createWebView, ASSET_FILES, UI_PATH } from './server.js';
export type { WebRoute, WebView, WebViewOptions } from './server.js';
export { AGGREGATE_AT, GraphViewEdgeSchema, GraphViewGateSchema, GraphViewNodeSchema, GraphViewSchema, ViewFilterSchema, boardView, criticalPath, driftView, filteredNodes, gatesView, graphView } from './views.js';
export type { BoardCard, BoardView, DriftView, GatesView, GraphView, GraphViewEdge, GraphViewGate, GraphViewNode, ViewFilter } from './views.js';
export { serveRoutes } from './standalone.js';
