import { describe, expect, test } from 'vitest';
import { newItem as item } from './common.js';
import type { Block } from '../blocks.js';
import { blocksFast } from '../fast-blocks.js';
import { blocksFromMarkdown } from '../markdown.js';
import { parse } from '../__fixtures__/test-utils.js';

/**
 * The planning documents people really write (issue 15, GV-WP-0009-T02): one test per
 * class of document bench:formats showed the parser missing. Every item is asserted
 * whole; `item` only fills the fields that keep their empty default.
 */

describe('real-world planning formats', () => {
  test("numbered checkbox lists (Kiro): `- [x] 1. Title` / `- [x] 1.1 Title` are tasks, the box is the status, `1.1` belongs to `1`, sub-bullets are not items", () => {
    const text = "# Implementation Plan\n\n- [x] 1. Set up API client\n- [x] 1.1 Create apiClient service\n  - Implement HTTP client wrapper\n  - _Requirements: 7.1, 7.2_\n- [ ] 2. Add list view\n  - [~] 2.1 Render rows\n";
    const { document, diagnostics } = parse(text, "specs/kiro/tasks.md");
    expect(document?.family).toBe("plan");
    expect(document?.items).toEqual([
      item({"status":"done","statusText":"[x]","statusSource":{"line":3,"column":3},"parent":"tasks","id":"tasks:1","kind":"task","localId":"1","title":"Set up API client","line":3,"column":7}),
      item({"status":"done","statusText":"[x]","statusSource":{"line":4,"column":3},"parent":"tasks:1","id":"tasks:1.1","kind":"task","localId":"1.1","title":"Create apiClient service","line":4,"column":7}),
      item({"status":"planned","statusText":"[ ]","statusSource":{"line":7,"column":3},"parent":"tasks","id":"tasks:2","kind":"task","localId":"2","title":"Add list view","line":7,"column":7}),
      item({"status":"partial","statusText":"[~]","statusSource":{"line":8,"column":5},"parent":"tasks:2","id":"tasks:2.1","kind":"task","localId":"2.1","title":"Render rows","line":8,"column":5}),
    ]);
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([]);
  });

  test("id checkbox lines (spec-kit): `T001 [P] [US1]` markers leave the title, `(depends on T001)`, `Depends:` sub-bullets and prose (`**Phase 2**: Depends on Phase 1`, `T001 → T003`) are dependencies", () => {
    const text = "# Tasks: Epic lifecycle\n\n## Phase 1: Setup\n\n- [x] T001 [P] [US1] Create the skeleton in scripts/epics.sh\n- [ ] T002 [US1] Add create_epic() (depends on T001)\n\n## Phase 2: Core\n\n- [ ] T003 Wire the CLI\n  - Depends: T001, T002\n\n## Dependencies\n\n- **Phase 2**: Depends on Phase 1 completion\n- T001 → T003\n";
    const { document, diagnostics } = parse(text, "specs/003/tasks.md");
    expect(document?.family).toBe("plan");
    expect(document?.items).toEqual([
      item({"parent":"tasks","id":"tasks:PHASE-1","kind":"milestone","localId":"PHASE-1","title":"Setup","line":3,"column":4}),
      item({"status":"done","statusText":"[x]","statusSource":{"line":5,"column":3},"parent":"tasks:PHASE-1","id":"tasks:T001","kind":"task","localId":"T001","title":"Create the skeleton in scripts/epics.sh","line":5,"column":7}),
      item({"status":"planned","statusText":"[ ]","statusSource":{"line":6,"column":3},"dependencies":[{"id":"tasks:T001","origin":"section","line":6,"column":48}],"parent":"tasks:PHASE-1","id":"tasks:T002","kind":"task","localId":"T002","title":"Add create_epic()","line":6,"column":7}),
      item({"dependencies":[{"id":"tasks:PHASE-1","origin":"section","line":15,"column":27}],"parent":"tasks","id":"tasks:PHASE-2","kind":"milestone","localId":"PHASE-2","title":"Core","line":8,"column":4}),
      item({"status":"planned","statusText":"[ ]","statusSource":{"line":10,"column":3},"dependencies":[{"id":"tasks:T001","origin":"section","line":11,"column":14},{"id":"tasks:T002","origin":"section","line":11,"column":20}],"parent":"tasks:PHASE-2","id":"tasks:T003","kind":"task","localId":"T003","title":"Wire the CLI","line":10,"column":7}),
    ]);
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([["status-missing",3,4],["status-missing",8,4]]);
  });

  test("heading statuses: trailing ✅, `(COMPLETE)`, a status in backticks, `- Status:` bullets, `**Status:**` lines, a checkbox before the heading and ` - ` / bare id headings", () => {
    const text = "# Roadmap\n\n## Phase 1: Foundation ✅\n\n## Phase 2: Agents (COMPLETE)\n\n### M1 — Bootstrap `done`\n\n- [x] go mod init\n- [x] main.go\n\n### M2 - Config\n\n- Status: In Progress\n\n## [x] Phase 3: Release\n\n## M4\n\n**Status:** Planned\n";
    const { document, diagnostics } = parse(text, "ROADMAP.md");
    expect(document?.family).toBe("plan");
    expect(document?.items).toEqual([
      item({"status":"done","statusText":"✅","statusSource":{"line":3,"column":24},"parent":"ROADMAP","id":"ROADMAP:PHASE-1","kind":"milestone","localId":"PHASE-1","title":"Foundation","line":3,"column":4}),
      item({"status":"done","statusText":"COMPLETE","statusSource":{"line":5,"column":21},"parent":"ROADMAP","id":"ROADMAP:PHASE-2","kind":"milestone","localId":"PHASE-2","title":"Agents","line":5,"column":4}),
      item({"status":"done","statusText":"done","statusSource":{"line":7,"column":21},"criteria":[{"text":"go mod init","checked":true,"line":9,"column":7},{"text":"main.go","checked":true,"line":10,"column":7}],"parent":"ROADMAP:PHASE-2","id":"ROADMAP:M1","kind":"milestone","localId":"M1","title":"Bootstrap","line":7,"column":5}),
      item({"status":"in_progress","statusText":"In Progress","statusSource":{"line":14,"column":11},"parent":"ROADMAP:PHASE-2","id":"ROADMAP:M2","kind":"milestone","localId":"M2","title":"Config","line":12,"column":5}),
      item({"status":"done","statusText":"[x]","statusSource":{"line":16,"column":4},"parent":"ROADMAP","id":"ROADMAP:PHASE-3","kind":"milestone","localId":"PHASE-3","title":"Release","line":16,"column":4}),
      item({"status":"planned","statusText":"Planned","statusSource":{"line":20,"column":13},"parent":"ROADMAP","id":"ROADMAP:M4","kind":"milestone","localId":"M4","title":"","line":18,"column":4}),
    ]);
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([]);
  });

  test("id-less checklists and ✅/🔄 bullets are items where the section holds no other unit, nested ones with their parent; a legend and acceptance criteria are not", () => {
    const text = "# Project Tasks\n\n## Phase 1: Backend\n\n### Completed\n- [x] Set up project structure\n  - [x] Created test_main.py\n\n### Up Next\n- [ ] Write the parser\n\n## Legend\n- ✅ Complete\n- 🔄 In Progress\n\n## Phase 2: Extension\n- ✅ Streaming support\n- 🔄 Custom tokenizer\n\n### Acceptance Criteria\n- [ ] The extension loads\n";
    const { document, diagnostics } = parse(text, "TASKS.md");
    expect(document?.family).toBe("plan");
    expect(document?.items).toEqual([
      item({"parent":"TASKS","id":"TASKS:PHASE-1","kind":"milestone","localId":"PHASE-1","title":"Backend","line":3,"column":4}),
      item({"status":"done","statusText":"[x]","statusSource":{"line":6,"column":3},"parent":"TASKS:PHASE-1","id":"TASKS:set-up-project-structure","kind":"task","localId":"set-up-project-structure","title":"Set up project structure","line":6,"column":7}),
      item({"status":"done","statusText":"[x]","statusSource":{"line":7,"column":5},"parent":"TASKS:set-up-project-structure","id":"TASKS:created-test-main-py","kind":"task","localId":"created-test-main-py","title":"Created test_main.py","line":7,"column":9}),
      item({"status":"planned","statusText":"[ ]","statusSource":{"line":10,"column":3},"parent":"TASKS:PHASE-1","id":"TASKS:write-the-parser","kind":"task","localId":"write-the-parser","title":"Write the parser","line":10,"column":7}),
      item({"criteria":[{"text":"The extension loads","checked":false,"line":21,"column":7}],"parent":"TASKS","id":"TASKS:PHASE-2","kind":"milestone","localId":"PHASE-2","title":"Extension","line":16,"column":4}),
      item({"status":"done","statusText":"✅","statusSource":{"line":17,"column":3},"parent":"TASKS:PHASE-2","id":"TASKS:streaming-support","kind":"task","localId":"streaming-support","title":"Streaming support","line":17,"column":3}),
      item({"status":"in_progress","statusText":"🔄","statusSource":{"line":18,"column":3},"parent":"TASKS:PHASE-2","id":"TASKS:custom-tokenizer","kind":"task","localId":"custom-tokenizer","title":"Custom tokenizer","line":18,"column":3}),
    ]);
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([["status-missing",3,4],["status-missing",16,4]]);
  });

  test("tables by column roles: a GSD progress table gives the phase headings their status, a Stage table with `**DONE**`, `S072-01,02,03` shorthand, `-` and `Nothing (first phase)` mean no dependency, totals rows are skipped", () => {
    const text = "# Roadmap\n\n## Phase 18: Billing\n\n**Depends on**: Phase 17 (Milestone 2 complete)\n\n## Phase 19: Teams\n\n**Depends on**: Nothing (first phase)\n\n## Progress\n\n| Phase | Milestone | Plans Complete | Status |\n|---|---|---|---|\n| 18. Billing | M3 | 0/3 | Not started |\n| 19. Teams | M3 | 3/3 | Complete |\n\n| Stage | Status | Depends On |\n|---|---|---|\n| S072-01 Decode | **DONE** | - |\n| S072-04 Cipher | **BLOCKED** | S072-01,02,03 |\n| **Total** | | |\n";
    const { document, diagnostics } = parse(text, "ROADMAP.md");
    expect(document?.family).toBe("plan");
    expect(document?.items).toEqual([
      item({"status":"planned","statusText":"Not started","statusSource":{"line":15,"column":28},"dependencies":[{"id":"PHASE-17","origin":"section","line":5,"column":17}],"parent":"ROADMAP","id":"ROADMAP:PHASE-18","kind":"milestone","localId":"PHASE-18","title":"Billing","line":3,"column":4}),
      item({"status":"done","statusText":"Complete","statusSource":{"line":16,"column":26},"parent":"ROADMAP","id":"ROADMAP:PHASE-19","kind":"milestone","localId":"PHASE-19","title":"Teams","line":7,"column":4}),
      item({"status":"done","statusText":"**DONE**","statusSource":{"line":20,"column":20},"parent":"ROADMAP","id":"ROADMAP:S072-01","kind":"task","localId":"S072-01","title":"Decode","line":20,"column":3}),
      item({"status":"blocked","statusText":"**BLOCKED**","statusSource":{"line":21,"column":20},"dependencies":[{"id":"ROADMAP:S072-01","origin":"table","line":21,"column":34},{"id":"S072-02","origin":"table","line":21,"column":42},{"id":"S072-03","origin":"table","line":21,"column":45}],"parent":"ROADMAP","id":"ROADMAP:S072-04","kind":"task","localId":"S072-04","title":"Cipher","line":21,"column":3}),
    ]);
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([]);
  });

  test("ccpm epic: `name` + `status` front matter without id is the epic; `- [ ] 002.md - Title - depends on [001]` lines are its tasks", () => {
    const text = "---\nname: tuic\nstatus: backlog\n---\n\n# Epic: TUIC\n\n## Tasks Created\n- [ ] 001.md - Calculator Engine (parallel: true)\n- [ ] 002.md - TUI Foundation (parallel: false) - depends on [001]\n\n## Acceptance Criteria\n- [ ] AC1 All tests pass\n";
    const { document, diagnostics } = parse(text, ".claude/epics/tuic/epic.md");
    expect(document?.family).toBe("workplan");
    expect(document?.items).toEqual([
      item({"status":"planned","statusText":"backlog","statusSource":{"line":3,"column":9},"criteria":[{"text":"AC1 All tests pass","checked":false,"line":13,"column":7}],"id":"tuic","kind":"workplan","localId":"tuic","title":"tuic","line":1,"column":1}),
      item({"status":"planned","statusText":"[ ]","statusSource":{"line":9,"column":3},"parent":"tuic","id":"tuic:001","kind":"task","localId":"001","title":"Calculator Engine (parallel: true)","line":9,"column":7}),
      item({"status":"planned","statusText":"[ ]","statusSource":{"line":10,"column":3},"dependencies":[{"id":"tuic:001","origin":"section","line":10,"column":63}],"parent":"tuic","id":"tuic:002","kind":"task","localId":"002","title":"TUI Foundation (parallel: false)","line":10,"column":7}),
    ]);
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([]);
  });

  test("ccpm task file: `name` is the title, `depends_on: [006, 008]` keeps the ids as written; the Dependencies checklist is not an item", () => {
    const text = "---\nname: Documentation & Demos\nstatus: open\ndepends_on: [006, 008]\n---\n\n# Task: Documentation & Demos\n\n## Dependencies\n- [ ] Task 006 complete\n";
    const { document, diagnostics } = parse(text, ".claude/epics/tuic/7.md");
    expect(document?.family).toBe("workplan");
    expect(document?.items).toEqual([
      item({"status":"planned","statusText":"open","statusSource":{"line":3,"column":9},"dependencies":[{"id":"006","origin":"front-matter","line":4,"column":14},{"id":"008","origin":"front-matter","line":4,"column":19}],"id":"7","kind":"workplan","localId":"7","title":"Documentation & Demos","line":1,"column":1}),
    ]);
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([]);
  });

  test("Backlog.md task: `dependencies:` is kept, and `### Phase 0` steps inside a section are not milestones", () => {
    const text = "---\nid: NAS-16\ntitle: Create subvolume\nstatus: Done\ndependencies: [task-67]\n---\n\n## Description\n\nMake it.\n\n## Plan\n\n### Phase 0: Pre-flight\n\n### Phase 1: Create\n";
    const { document, diagnostics } = parse(text, "backlog/tasks/nas-16.md");
    expect(document?.family).toBe("workplan");
    expect(document?.items).toEqual([
      item({"status":"done","statusText":"Done","statusSource":{"line":4,"column":9},"dependencies":[{"id":"task-67","origin":"front-matter","line":5,"column":16}],"id":"NAS-16","kind":"workplan","localId":"NAS-16","title":"Create subvolume","line":2,"column":5}),
    ]);
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([]);
  });
  test("version headings (GSD MILESTONES.md): `## v1.3 Status Panel (Shipped: 2026-07-28)` is milestone v1.3, shipped; a parenthesized status may carry a date or version, other parentheses stay in the title; a version without a title (`## v1.1.4 (2024-05-01)`, a changelog) is no milestone, nor is an upgrade between two (`### v0.2 → v0.3`, an upgrade path)", () => {
    const text = "# Milestones\n\n## v1.3 Status Panel (Shipped: 2026-07-28)\n\n**Phases completed:** 3 phases\n\n## v1.2: GSD Core (Done in v1.2.1)\n\n## v2.0 Next (see #12)\n\n## v1.1.4 (2024-05-01)\n\n## v1.1.3 - 2024-04-01\n\n## v1.1\n\n### v1.2 → v1.3\n\n### v1.3 ⇒ v2.0\n\n### v1.1 -> v1.2\n";
    const { document, diagnostics } = parse(text, ".planning/MILESTONES.md");
    expect(document?.family).toBe("plan");
    expect(document?.items).toEqual([
      item({"status":"done","statusText":"Shipped: 2026-07-28","statusSource":{"line":3,"column":23},"parent":"MILESTONES","id":"MILESTONES:v1.3","kind":"milestone","localId":"v1.3","title":"Status Panel","line":3,"column":4}),
      item({"status":"done","statusText":"Done in v1.2.1","statusSource":{"line":7,"column":20},"parent":"MILESTONES","id":"MILESTONES:v1.2","kind":"milestone","localId":"v1.2","title":"GSD Core","line":7,"column":4}),
      item({"parent":"MILESTONES","id":"MILESTONES:v2.0","kind":"milestone","localId":"v2.0","title":"Next (see #12)","line":9,"column":4}),
    ]);
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([["status-missing",9,4]]);
  });
  test("numbered work items (`1) Close doc drift`, `5)` in a paragraph) whose detail bullets hold an `Acceptance:` line are items without status; numbered steps without one are not; the checklist beside them is read", () => {
    const text = "Roadmap (2025-09)\n\nNow (stabilization)\n1) Close doc drift\n- Update README.\n- Acceptance: make ci passes.\n\n2) Add a flow\n- Acceptance: tests pass.\n\nNext (capabilities)\n5) Retrieval quality\n- Implement scoring.\n- Acceptance: weights in TOML.\n\nHow to use\n1. Read it\n2. Do it\n- Note: nothing\n\nSuggested backlog\n- [ ] README: replace legacy tool names.\n";
    const { document, diagnostics } = parse(text, "docs/ROADMAP.md");
    expect(document?.family).toBe("plan");
    expect(document?.items).toEqual([
      item({"criteria":[{"text":"Acceptance: make ci passes.","checked":null,"line":6,"column":3}],"parent":"ROADMAP","id":"ROADMAP:1","kind":"task","localId":"1","title":"Close doc drift","line":4,"column":4}),
      item({"criteria":[{"text":"Acceptance: tests pass.","checked":null,"line":9,"column":3}],"parent":"ROADMAP","id":"ROADMAP:2","kind":"task","localId":"2","title":"Add a flow","line":8,"column":4}),
      item({"criteria":[{"text":"Acceptance: weights in TOML.","checked":null,"line":14,"column":3}],"parent":"ROADMAP","id":"ROADMAP:5","kind":"task","localId":"5","title":"Retrieval quality","line":12,"column":4}),
      item({"status":"planned","statusText":"[ ]","statusSource":{"line":22,"column":3},"parent":"ROADMAP","id":"ROADMAP:readme-replace-legacy-tool-names","kind":"task","localId":"readme-replace-legacy-tool-names","title":"README: replace legacy tool names.","line":22,"column":7}),
    ]);
    expect(diagnostics.map((d) => [d.code, d.line, d.column])).toEqual([["status-missing",4,4],["status-missing",8,4],["status-missing",12,4]]);
  });
  test("spec-kit prose: `T004 should run after T001-T003`, `T005, T006 must run after Phase 1 complete`, `T010-T011 depend on US1 completion`, `T006/T007 [P] (…), can run anytime after T003`, `T008-T010 are sequential`; `can run sequentially` and `in parallel` are no edges", () => {
    const text = "# Tasks\n\n## Phase 1: Setup\n\n- [ ] T001 A\n- [ ] T002 B\n- [ ] T003 C\n- [ ] T004 D\n\n## Phase 2: User Story 1 - Login\n\n- [ ] T005 E\n- [ ] T006 F\n- [ ] T007 G\n\n## Phase 3: Polish\n\n- [ ] T008 H\n- [ ] T009 I\n- [ ] T010 J\n- [ ] T011 K\n\n## Dependencies\n\n- T004 should run after T001-T003 (references the files)\n- T005, T006 must run after Phase 1 complete\n- T010-T011 depend on US1 completion\n- T006/T007 [P] (different files), can run anytime after T003. T008-T010 are sequential (one file).\n- T001, T002 can run sequentially; T002 and T003 can run in parallel\n";
    const { document } = parse(text, "specs/001/tasks.md");
    const deps = (id: string) => document?.items.find((i) => i.localId === id)?.dependencies.map((d) => d.id);
    expect(["T001", "T002", "T003", "T004", "T005", "T006", "T007", "T008", "T009", "T010", "T011"].map((id) => [id, deps(id)])).toEqual([
      ["T001", []],
      ["T002", []],
      ["T003", []],
      ["T004", ["tasks:T001", "tasks:T002", "tasks:T003"]],
      ["T005", ["tasks:PHASE-1"]],
      ["T006", ["tasks:PHASE-1", "tasks:T003"]],
      ["T007", ["tasks:T003"]],
      ["T008", []],
      ["T009", ["tasks:T008"]],
      ["T010", ["tasks:PHASE-2", "tasks:T009"]],
      ["T011", ["tasks:PHASE-2"]],
    ]);
    const t4 = document?.items.find((i) => i.localId === "T004")?.dependencies[0];
    expect(t4).toEqual({ id: "tasks:T001", origin: "section", line: 25, column: text.split("\n")[24]!.indexOf("T001") + 1 });
  });
  test("a dependency trailer on a line whose id is bold points at the dependency's id; a bold upper-case tag (`**NEW**:`) is a marker, not the title", () => {
    const text = "# Tasks\n\n## Phase 1: A\n\n- [ ] **T002** Add it (depends on T001)\n- [x] T001 First\n- [ ] **NEW**: T003 Design it\n";
    const { document } = parse(text, "tasks.md");
    expect(document?.items.map((i) => [i.localId, i.title, i.dependencies])).toEqual([
      ["PHASE-1", "A", []],
      ["T002", "Add it", [{ id: "tasks:T001", origin: "section", line: 5, column: text.split("\n")[4]!.indexOf("T001") + 1 }]],
      ["T001", "First", []],
      ["T003", "Design it", []],
    ]);
  });
  test("an epic README: `# Epic 10: Title` is the epic, its phases and tasks belong to it; under a phase that states no status, an id-less checklist is its work though other phases write ids; `- [ ] TBD` is no item", () => {
    const text = "# Epic 10: Language Expansion 🗣️\n\n## Tasks\n\n### Phase 1: Framework\n- [ ] **NEW**: Design the matrix\n- [ ] **NEW**: Write the template\n\n### Phase 2: Languages\n- [ ] task-5: Add Go support\n- [x] task-6: Add C support\n\n### Phase 3: Later\n- [ ] TBD\n";
    const { document } = parse(text, "epics/epic-10/README.md");
    expect(document?.items.map((i) => [i.id, i.title, i.status, i.parent])).toEqual([
      ["README:EPIC-10", "Language Expansion 🗣️", null, "README"],
      ["README:PHASE-1", "Framework", null, "README:EPIC-10"],
      ["README:design-the-matrix", "Design the matrix", "planned", "README:PHASE-1"],
      ["README:write-the-template", "Write the template", "planned", "README:PHASE-1"],
      ["README:PHASE-2", "Languages", null, "README:EPIC-10"],
      ["README:task-5", "Add Go support", "planned", "README:PHASE-2"],
      ["README:task-6", "Add C support", "done", "README:PHASE-2"],
      ["README:PHASE-3", "Later", null, "README:EPIC-10"],
    ]);
  });
  test("a list whose lines lead with marks the profile does not know (`✅ …` beside `❌ …`) is findings, not a checklist", () => {
    const text = "# Tracker\n\n## Phase 1: Decode ✅\n\n## Remaining issue\n\n1. ✅ 8 calls fire with the right values\n2. ❌ The cipher output is undefined\n\n## Done\n\n- ✅ Streaming support\n- ✅ Tokenizer\n";
    const { document } = parse(text, "TRACKER.md");
    expect(document?.items.map((i) => [i.localId, i.status])).toEqual([
      ["PHASE-1", "done"],
      ["streaming-support", "done"],
      ["tokenizer", "done"],
    ]);
  });
  test("headings in bold: `### **Phase 1: Title** ✅`, `### **Phase 2 — Core — COMPLETE**`, `### **Phase 3: Next** 🔄 IN PROGRESS`", () => {
    const text = "# Roadmap\n\n### **Phase 1: Calendar Grid** ✅\n\n### **Phase 2 — Core — COMPLETE**\n\n### **Phase 3: Next** 🔄 IN PROGRESS\n";
    const { document } = parse(text, "ROADMAP.md");
    expect(document?.items.map((i) => [i.localId, i.title, i.status, i.statusText, i.statusSource])).toEqual([
      ["PHASE-1", "Calendar Grid", "done", "✅", { line: 3, column: text.split("\n")[2]!.indexOf("✅") + 1 }],
      ["PHASE-2", "Core", "done", "COMPLETE", { line: 5, column: text.split("\n")[4]!.indexOf("COMPLETE") + 1 }],
      ["PHASE-3", "Next", "in_progress", "🔄 IN PROGRESS", { line: 7, column: text.split("\n")[6]!.indexOf("🔄") + 1 }],
    ]);
  });
  test("a status as the label of a date (`**Completed:** 2026-02-21`) states the milestone's status; other dated labels do not", () => {
    const text = "# Milestones\n\n## v1.0 — WhatsApp Inbox MVP\n\n**Completed:** 2026-02-21\n**Phases:** 1-6\n\n## v1.1 — Reports\n\n**Timeline:** 2026-03-01 → 2026-03-05\n";
    const { document } = parse(text, "MILESTONES.md");
    expect(document?.items.map((i) => [i.localId, i.title, i.status, i.statusText, i.statusSource])).toEqual([
      ["v1.0", "WhatsApp Inbox MVP", "done", "Completed", { line: 5, column: 3 }],
      ["v1.1", "Reports", null, null, null],
    ]);
  });
  test("a release table keyed by `Version` is read by its columns: `| v1.0 | Production-Ready | Shipped |`", () => {
    const text = "# Milestones\n\n| Version | Name | Status | Date |\n|---|---|---|---|\n| v1.0 | Production-Ready | Shipped | 2026-01-18 |\n| v1.6 | FFI Fix | Planned | TBD |\n";
    const { document } = parse(text, ".planning/MILESTONES.md");
    expect(document?.items.map((i) => [i.id, i.title, i.status])).toEqual([
      ["MILESTONES:v1.0", "Production-Ready", "done"],
      ["MILESTONES:v1.6", "FFI Fix", "planned"],
    ]);
  });
});

describe('a bold first line over a description (GV-WP-0029-T03)', () => {
  const numbered = ['# Implementation Plan', '', '- [x] **1.1 TypeScript data models**', '  Create `src/types.ts` with interfaces: `Child`, `Medication`,', '  and `AdministeredDose`.', '- [ ] **1.2 Seed data (depends on 1.1)**', '  Load the defaults.', ''].join('\n');
  const idless = [
    '# Tasks',
    '',
    '## Phase 1: Release',
    '- [ ] **Set up CI**',
    '  GitHub Actions runs the tests.',
    '- [ ] **Write** the docs for the',
    '  new command',
    '- [ ] **Cut a release**: tag and publish',
    '- [ ] **Ship it**',
    '',
  ].join('\n');

  test('the bold line is the title and the lines below are its description; the id of an item without one does not change', () => {
    const a = parse(numbered, 'IMPLEMENTATION_PLAN.md');
    expect([a.document?.items, a.diagnostics]).toEqual([
      [
        item({ status: 'done', statusText: '[x]', statusSource: { line: 3, column: 3 }, parent: 'IMPLEMENTATION_PLAN', id: 'IMPLEMENTATION_PLAN:1.1', kind: 'task', localId: '1.1', title: 'TypeScript data models', line: 3, column: 7 }),
        // A dependency trailer that ends the bold line is read, and leaves the title.
        item({ status: 'planned', statusText: '[ ]', statusSource: { line: 6, column: 3 }, parent: 'IMPLEMENTATION_PLAN', id: 'IMPLEMENTATION_PLAN:1.2', kind: 'task', localId: '1.2', title: 'Seed data', line: 6, column: 7, dependencies: [{ id: 'IMPLEMENTATION_PLAN:1.1', origin: 'section', line: 6, column: 35 }] }),
      ],
      [],
    ]);
    const b = parse(idless, 'TASKS.md');
    expect([b.document?.items, b.diagnostics.map((d) => [d.code, d.line])]).toEqual([
      [
        item({ parent: 'TASKS', id: 'TASKS:PHASE-1', kind: 'milestone', localId: 'PHASE-1', title: 'Release', line: 3, column: 4 }),
        // The id is what it was before (from the whole paragraph), the title only the bold line.
        item({ status: 'planned', statusText: '[ ]', statusSource: { line: 4, column: 3 }, parent: 'TASKS:PHASE-1', id: 'TASKS:set-up-ci-github-actions-runs-the-tests', kind: 'task', localId: 'set-up-ci-github-actions-runs-the-tests', title: 'Set up CI', line: 4, column: 7 }),
        // Bold that does not fill its line is emphasis in a sentence that goes on.
        item({ status: 'planned', statusText: '[ ]', statusSource: { line: 6, column: 3 }, parent: 'TASKS:PHASE-1', id: 'TASKS:write-the-docs-for-the-new-command', kind: 'task', localId: 'write-the-docs-for-the-new-command', title: 'Write the docs for the new command', line: 6, column: 7 }),
        item({ status: 'planned', statusText: '[ ]', statusSource: { line: 8, column: 3 }, parent: 'TASKS:PHASE-1', id: 'TASKS:cut-a-release-tag-and-publish', kind: 'task', localId: 'cut-a-release-tag-and-publish', title: 'Cut a release: tag and publish', line: 8, column: 7 }),
        item({ status: 'planned', statusText: '[ ]', statusSource: { line: 9, column: 3 }, parent: 'TASKS:PHASE-1', id: 'TASKS:ship-it', kind: 'task', localId: 'ship-it', title: 'Ship it', line: 9, column: 7 }),
      ],
      [['status-missing', 3]],
    ]);
  });

  test("both block readers say where the first line ends (`head`), so the fast path and remark's agree", () => {
    const heads = (blocks: Block[]) => blocks.flatMap((b) => (b.type === 'list' ? b.items.map((i) => [i.text, i.head]) : []));
    const fast = [...blocksFast(numbered, 0)!, ...blocksFast(idless, 0)!];
    expect(heads(fast)).toEqual([
      ['**1.1 TypeScript data models** Create `src/types.ts` with interfaces: `Child`, `Medication`, and `AdministeredDose`.', 30],
      ['**1.2 Seed data (depends on 1.1)** Load the defaults.', 34],
      ['**Set up CI** GitHub Actions runs the tests.', 13],
      ['**Write** the docs for the new command', 26],
      ['**Cut a release**: tag and publish', undefined],
      ['**Ship it**', undefined],
    ]);
    expect(heads([...blocksFromMarkdown(numbered, 0), ...blocksFromMarkdown(idless, 0)])).toEqual(heads(fast));
  });
});
