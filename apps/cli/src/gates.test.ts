import { describe, expect, it } from 'vitest';
import { runCaptured, tempRoot } from './test-support.js';

async function cli(argv: string[], root: string): Promise<{ code: number; out: string; err: string }> {
  const r = await runCaptured([...argv, '--root', root, '--no-cache']);
  return { code: r.code, out: r.stdout, err: r.stderr };
}

// Ids with a colon (plan ids), quotes, angle brackets, `&` and `#` in titles: what the
// diagram renderers must escape.
const FILES = {
  'trackers/t.md': `| Milestone | Depends On | Status |
|---|---|---|
| GV-01 Read "fast" path | - | Done (#27) |
| GV-02 Gates <and> writes & more | GV-01 | In Progress |
`,
  'workplans/kickoff.md': `# Kickoff

## K0: Contract #1 baseline
Status: Planned
Depends on: GV-02

## K1: Rollout
Depends on: K0
`,
  'govern.config.yaml': `gates:
  writer:
    description: status writes
    requires: [GV-02, kickoff:K0]
    project: libs/writer
  reader:
    requires: [GV-01]
`,
  'libs/writer/package.json': '{}',
};

const GV01 = { id: 'GV-01', found: true, title: 'Read "fast" path', status: 'done', statusText: 'Done (#27)', done: true, file: 'trackers/t.md', line: 3, column: 32 };
const GV02 = {
  id: 'GV-02',
  found: true,
  title: 'Gates <and> writes & more',
  status: 'in_progress',
  statusText: 'In Progress',
  done: false,
  file: 'trackers/t.md',
  line: 4,
  column: 45,
};
const K0 = { id: 'kickoff:K0', found: true, title: 'Contract #1 baseline', status: 'planned', statusText: 'Planned', done: false, file: 'workplans/kickoff.md', line: 4, column: 9 };

describe('govern gates', () => {
  it('lists every gate with its requirements, where each status is written and what blocks it; exit 0 with a disabled gate', async () => {
    const r = await cli(['gates'], tempRoot(FILES));
    expect(r).toEqual({
      code: 0,
      err: '',
      out: [
        '✖ disabled  writer  status writes',
        '    gate writer: disabled — waits on GV-02 (in_progress), kickoff:K0 (planned)',
        '    GV-02       ● in_progress  Gates <and> writes & more  trackers/t.md:4:45        blocks',
        '    kickoff:K0  ○ planned      Contract #1 baseline       workplans/kickoff.md:4:9  blocks',
        '    project libs/writer',
        '✔ enabled   reader',
        '    gate reader: enabled — GV-01 done',
        '    GV-01  ✔ done  Read "fast" path  trackers/t.md:3:32',
        '2 gates: 1 enabled, 1 disabled; 0 errors, 0 warnings, 0 info',
        '',
      ].join('\n'),
    });
  });

  it('--json prints { gates, diagnostics }; a project folder not created yet is an info diagnostic', async () => {
    const { 'libs/writer/package.json': _, ...files } = FILES;
    const r = await cli(['gates', '--json'], tempRoot(files));
    expect(r.code).toBe(0);
    expect(JSON.parse(r.out)).toEqual({
      gates: [
        {
          name: 'writer',
          description: 'status writes',
          project: 'libs/writer',
          enabled: false,
          requires: [GV02, K0],
          blockedBy: [GV02, K0],
          source: { file: 'govern.config.yaml', line: 2, column: 3 },
          projectExists: false,
        },
        {
          name: 'reader',
          description: null,
          project: null,
          enabled: true,
          requires: [GV01],
          blockedBy: [],
          source: { file: 'govern.config.yaml', line: 6, column: 3 },
          projectExists: null,
        },
      ],
      diagnostics: [
        { severity: 'info', code: 'gate-project-missing', message: 'gate writer governs libs/writer, which does not exist yet', file: 'govern.config.yaml', line: 5, column: 14 },
      ],
    });
  });

  it('exits 1 on an unknown milestone id, reported at the id', async () => {
    const r = await cli(['gates', '--json'], tempRoot({ ...FILES, 'govern.config.yaml': 'gates:\n  reader:\n    requires: [GV-01, GV-99]\n' }));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).diagnostics).toEqual([
      {
        severity: 'error',
        code: 'gate-unknown-milestone',
        message: 'gate reader requires GV-99, which no document defines; the gate stays disabled',
        file: 'govern.config.yaml',
        line: 3,
        column: 23,
      },
    ]);
  });

  it('validate reports the same unknown milestone id and exits 1', async () => {
    const r = await cli(['validate', '--json'], tempRoot({ ...FILES, 'govern.config.yaml': 'gates:\n  reader:\n    requires: [GV-01, GV-99]\n' }));
    expect(r.code).toBe(1);
    expect(JSON.parse(r.out).diagnostics.map((d: { code: string; line: number; column: number }) => [d.code, d.line, d.column])).toEqual([
      ['gate-unknown-milestone', 3, 23],
      // The fixture's own K1 has no status: validate reports every diagnostic.
      ['status-missing', 7, 4],
    ]);
  });

  it('--require: exit 0 and the gate when enabled', async () => {
    const r = await cli(['gates', '--require', 'reader'], tempRoot(FILES));
    expect(r).toEqual({
      code: 0,
      err: '',
      out: '✔ enabled   reader\n    gate reader: enabled — GV-01 done\n    GV-01  ✔ done  Read "fast" path  trackers/t.md:3:32\n1 gate: 1 enabled, 0 disabled; 0 errors, 0 warnings, 0 info\n',
    });
  });

  it('--require: exit 1 and one paragraph naming each blocking milestone when disabled, no stack trace', async () => {
    const r = await cli(['gates', '--require', 'writer'], tempRoot(FILES));
    expect(r).toEqual({
      code: 1,
      out: '',
      err:
        'govern: gate writer is disabled: GV-02 "Gates <and> writes & more" is in_progress (at trackers/t.md:4:45); ' +
        'kickoff:K0 "Contract #1 baseline" is planned (at workplans/kickoff.md:4:9). It is enabled when GV-02 and kickoff:K0 are done.\n',
    });
  });

  it('--require with --json prints { error: { code, message, details } }', async () => {
    const r = await cli(['gates', '--require', 'writer', '--json'], tempRoot(FILES));
    expect(r.code).toBe(1);
    expect(r.err).toBe('');
    const strip = ({ id, status, statusText, file, line, column }: typeof GV02) => ({ id, status, statusText, file, line, column });
    expect(JSON.parse(r.out)).toEqual({
      error: {
        code: 'gate-disabled',
        message: expect.stringMatching(/^gate writer is disabled: GV-02 /),
        details: { gate: 'writer', blockedBy: [strip(GV02), strip(K0)] },
      },
    });
  });

  it('--require of an undeclared gate is a usage error (exit 2); of a gate in a broken config, exit 1', async () => {
    expect(await cli(['gates', '--require', 'nope'], tempRoot(FILES))).toEqual({
      code: 2,
      out: '',
      err: 'govern: no gate named nope is declared in govern.config.yaml (declared: writer, reader)\n',
    });
    const broken = await cli(['gates', '--require', 'reader', '--json'], tempRoot({ ...FILES, 'govern.config.yaml': 'gates:\n  reader:\n    requires: GV-01\n' }));
    expect(broken.code).toBe(1);
    expect(JSON.parse(broken.out).error).toMatchObject({ code: 'gate-config-invalid', details: { gate: 'reader' } });
  });
});

describe('govern graph --format', () => {
  it('mermaid: a subgraph per file, label id + title + status, a classDef per status, gates as nodes with dotted edges', async () => {
    const r = await cli(['graph', '--format', 'mermaid'], tempRoot(FILES));
    expect(r).toEqual({
      code: 0,
      err: '',
      out: `flowchart LR
  %% govern graph: an arrow A --> B means B depends on A; a dotted arrow leads to a gate
  subgraph f0["trackers/t.md"]
    m_GV_01["GV-01<br/>Read #34;fast#34; path<br/>done"]:::done
    m_GV_02["GV-02<br/>Gates #60;and#62; writes #38; more<br/>in_progress"]:::in_progress
  end
  subgraph f1["workplans/kickoff.md"]
    m_kickoff_K0["kickoff:K0<br/>Contract #35;1 baseline<br/>planned"]:::planned
    m_kickoff_K1["kickoff:K1<br/>Rollout<br/>no status"]:::unknown
  end
  m_GV_01 --> m_GV_02
  m_GV_02 --> m_kickoff_K0
  m_kickoff_K0 --> m_kickoff_K1
  g_writer{{"gate writer<br/>disabled (needs GV-02, kickoff:K0)"}}:::gate_disabled
  m_GV_02 -.-> g_writer
  m_kickoff_K0 -.-> g_writer
  g_reader{{"gate reader<br/>enabled"}}:::gate_enabled
  m_GV_01 -.-> g_reader
  classDef done fill:#d1e7dd,stroke:#198754
  classDef in_progress fill:#cfe2ff,stroke:#0d6efd
  classDef planned fill:#e9ecef,stroke:#6c757d
  classDef unknown fill:#ffffff,stroke:#6c757d,stroke-dasharray:4 3
  classDef gate_enabled fill:#d1e7dd,stroke:#198754
  classDef gate_disabled fill:#f8d7da,stroke:#dc3545
`,
    });
  });

  it('dot: a cluster per file, fillcolor per status, quotes escaped; filters respected, gates drawn only with a drawn requirement', async () => {
    const root = tempRoot(FILES);
    const r = await cli(['graph', '--format', 'dot', '--doc', 'trackers/t.md'], root);
    expect(r).toEqual({
      code: 0,
      err: '',
      out: `digraph govern {
  // an edge A -> B means B depends on A; dashed edges lead to gates
  rankdir=LR;
  node [shape=box, style="rounded,filled", fontname="Helvetica"];
  edge [color="#555555"];
  subgraph cluster_0 {
    label="trackers/t.md";
    m_GV_01 [label="GV-01\\nRead \\"fast\\" path\\ndone", fillcolor="#d1e7dd", color="#198754"];
    m_GV_02 [label="GV-02\\nGates <and> writes & more\\nin_progress", fillcolor="#cfe2ff", color="#0d6efd"];
  }
  m_GV_01 -> m_GV_02;
  g_writer [shape=hexagon, label="gate writer\\ndisabled (needs GV-02, kickoff:K0)", fillcolor="#f8d7da", color="#dc3545"];
  m_GV_02 -> g_writer [style=dashed];
  g_reader [shape=hexagon, label="gate reader\\nenabled", fillcolor="#d1e7dd", color="#198754"];
  m_GV_01 -> g_reader [style=dashed];
}
`,
    });
    // Same files, same bytes.
    expect((await cli(['graph', '--format', 'dot', '--doc', 'trackers/t.md'], root)).out).toBe(r.out);
    const planned = await cli(['graph', '--format', 'mermaid', '--status', 'done'], root);
    expect(planned.out.split('\n').filter((l) => /^\s+[mg]_/.test(l))).toEqual([
      '    m_GV_01["GV-01<br/>Read #34;fast#34; path<br/>done"]:::done',
      '  g_reader{{"gate reader<br/>enabled"}}:::gate_enabled',
      '  m_GV_01 -.-> g_reader',
    ]);
  });

  it('numbers diagram ids that would clash after sanitizing', async () => {
    const root = tempRoot({ 'trackers/t.md': '| Milestone | Status |\n|---|---|\n| A-1 One | Planned |\n| A_1 Two | Planned |\n' });
    const r = await cli(['graph', '--format', 'mermaid'], root);
    expect(r.out).toContain('    m_A_1["A-1<br/>One<br/>planned"]:::planned\n    m_A_1_2["A_1<br/>Two<br/>planned"]:::planned\n');
  });

  it('--json is unchanged and exclusive with a diagram format (usage error)', async () => {
    const root = tempRoot(FILES);
    expect(Object.keys(JSON.parse((await cli(['graph', '--json'], root)).out))).toEqual(['nodes', 'diagnostics']);
    const message = '--json and --format dot are two outputs; choose one';
    expect(await cli(['graph', '--json', '--format', 'dot'], root)).toEqual({ code: 2, out: `${JSON.stringify({ error: { code: 'usage', message, details: {} } })}\n`, err: `govern: ${message}\n` });
    expect((await cli(['graph', '--format', 'svg'], root)).code).toBe(2);
  });
});
