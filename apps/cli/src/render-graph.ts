import type { GateState } from '@govern/gates';
import type { GraphNode } from '@govern/graph';

// Renderers for `govern graph --format mermaid|dot`: text to paste into a README or
// PR (GitHub renders mermaid blocks) or to pipe into Graphviz. Pure and deterministic:
// nodes keep the graph's order (file, then position), gates the configuration's order.

type StyleKey = NonNullable<GraphNode['status']> | 'unknown' | 'gate_enabled' | 'gate_disabled';

/** Fill and stroke per status; the same palette in both formats. */
const STYLE: Record<StyleKey, { fill: string; stroke: string }> = {
  done: { fill: '#d1e7dd', stroke: '#198754' },
  in_progress: { fill: '#cfe2ff', stroke: '#0d6efd' },
  partial: { fill: '#fff3cd', stroke: '#cc9a06' },
  blocked: { fill: '#f8d7da', stroke: '#dc3545' },
  planned: { fill: '#e9ecef', stroke: '#6c757d' },
  unknown: { fill: '#ffffff', stroke: '#6c757d' },
  gate_enabled: { fill: '#d1e7dd', stroke: '#198754' },
  gate_disabled: { fill: '#f8d7da', stroke: '#dc3545' },
};
const STYLE_ORDER = Object.keys(STYLE) as StyleKey[];

interface Drawing {
  /** Nodes grouped by file, each with its diagram id. */
  files: { file: string; nodes: { node: GraphNode; key: string; style: StyleKey }[] }[];
  /** `from` is a dependency of `to`: arrows point from prerequisite to dependent. */
  edges: { from: string; to: string }[];
  gates: { gate: GateState; key: string; style: StyleKey; from: string[] }[];
  styles: StyleKey[];
}

/**
 * Diagram ids: ids such as `kickoff:K0`, `GV-01` or `PHASE 3` are not valid mermaid
 * or unquoted DOT ids, so each becomes `m_`/`g_` plus its letters, digits and `_`,
 * numbered on a clash. Labels carry the real id.
 */
function layout(nodes: GraphNode[], gates: GateState[]): Drawing {
  const taken = new Set<string>();
  const keyFor = (prefix: string, id: string) => {
    const base = `${prefix}_${id.replace(/[^A-Za-z0-9_]/g, '_')}`;
    let key = base;
    for (let n = 2; taken.has(key); n++) key = `${base}_${n}`;
    taken.add(key);
    return key;
  };
  const keys = new Map<string, string>();
  const files: Drawing['files'] = [];
  const used = new Set<StyleKey>();
  for (const node of nodes) {
    const key = keyFor('m', node.id);
    keys.set(node.id, key);
    const style: StyleKey = node.status ?? 'unknown';
    used.add(style);
    const last = files[files.length - 1];
    if (last?.file === node.source.file) last.nodes.push({ node, key, style });
    else files.push({ file: node.source.file, nodes: [{ node, key, style }] });
  }
  const edges: Drawing['edges'] = [];
  for (const node of nodes) {
    for (const dep of node.dependsOn) {
      const from = keys.get(dep);
      if (from) edges.push({ from, to: keys.get(node.id)! });
    }
  }
  const drawnGates = gates.map((gate) => {
    const style: StyleKey = gate.enabled ? 'gate_enabled' : 'gate_disabled';
    used.add(style);
    const from = [...new Set(gate.requires.map((r) => keys.get(r.id)).filter((k): k is string => k !== undefined))];
    return { gate, key: keyFor('g', gate.name), style, from };
  });
  return { files, edges, gates: drawnGates, styles: STYLE_ORDER.filter((s) => used.has(s)) };
}

const statusWord = (n: GraphNode) => n.status ?? 'no status';
const gateWord = (g: GateState) => (g.enabled ? 'enabled' : `disabled (needs ${g.blockedBy.map((r) => r.id).join(', ')})`);

/** Mermaid label text: entity codes for the characters mermaid would read as syntax. */
function mermaidText(s: string): string {
  return s.replace(/[#"<>&]/g, (ch) => `#${ch.charCodeAt(0)};`);
}

/** `govern graph --format mermaid`: a `flowchart LR` with a subgraph per file. */
export function renderMermaid(nodes: GraphNode[], gates: GateState[]): string {
  const d = layout(nodes, gates);
  const lines = ['flowchart LR', '  %% govern graph: an arrow A --> B means B depends on A; a dotted arrow leads to a gate'];
  d.files.forEach(({ file, nodes: inFile }, i) => {
    lines.push(`  subgraph f${i}["${mermaidText(file)}"]`);
    for (const { node, key, style } of inFile) {
      lines.push(`    ${key}["${[node.id, node.title, statusWord(node)].filter(Boolean).map(mermaidText).join('<br/>')}"]:::${style}`);
    }
    lines.push('  end');
  });
  for (const e of d.edges) lines.push(`  ${e.from} --> ${e.to}`);
  for (const { gate, key, style, from } of d.gates) {
    lines.push(`  ${key}{{"${mermaidText(`gate ${gate.name}`)}<br/>${mermaidText(gateWord(gate))}"}}:::${style}`);
    for (const f of from) lines.push(`  ${f} -.-> ${key}`);
  }
  for (const s of d.styles) {
    lines.push(`  classDef ${s} fill:${STYLE[s].fill},stroke:${STYLE[s].stroke}${s === 'unknown' ? ',stroke-dasharray:4 3' : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** A DOT double-quoted string. */
function dotString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\r?\n/g, ' ')}"`;
}

/** `govern graph --format dot`: a Graphviz digraph with a cluster per file. */
export function renderDot(nodes: GraphNode[], gates: GateState[]): string {
  const d = layout(nodes, gates);
  const lines = [
    'digraph govern {',
    '  // an edge A -> B means B depends on A; dashed edges lead to gates',
    '  rankdir=LR;',
    '  node [shape=box, style="rounded,filled", fontname="Helvetica"];',
    '  edge [color="#555555"];',
  ];
  d.files.forEach(({ file, nodes: inFile }, i) => {
    lines.push(`  subgraph cluster_${i} {`, `    label=${dotString(file)};`);
    for (const { node, key, style } of inFile) {
      const label = [node.id, node.title, statusWord(node)].filter(Boolean).map((s) => dotString(s).slice(1, -1)).join('\\n');
      const dashed = style === 'unknown' ? ', style="rounded,filled,dashed"' : '';
      lines.push(`    ${key} [label="${label}", fillcolor="${STYLE[style].fill}", color="${STYLE[style].stroke}"${dashed}];`);
    }
    lines.push('  }');
  });
  for (const e of d.edges) lines.push(`  ${e.from} -> ${e.to};`);
  for (const { gate, key, style, from } of d.gates) {
    const label = `${dotString(`gate ${gate.name}`).slice(1, -1)}\\n${dotString(gateWord(gate)).slice(1, -1)}`;
    lines.push(`  ${key} [shape=hexagon, label="${label}", fillcolor="${STYLE[style].fill}", color="${STYLE[style].stroke}"];`);
    for (const f of from) lines.push(`  ${f} -> ${key} [style=dashed];`);
  }
  lines.push('}');
  return `${lines.join('\n')}\n`;
}
