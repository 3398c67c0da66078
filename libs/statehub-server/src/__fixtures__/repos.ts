import fs from 'node:fs';
import path from 'node:path';

/** One task section of a generated workplan. */
export interface TaskSpec {
  n: number;
  status: string;
  dependsOn?: string[];
  /** Extra metadata lines after `status:` (e.g. `state_hub_task_id: "…"`). */
  extra?: string[];
}

/**
 * A workplan as users write them (seed 003): front matter, then `## T01 - …`
 * sections whose first paragraph is `key: value` metadata, then an acceptance list.
 */
export function workplan(id: string, opts: { status: string; title?: string; dependsOn?: string[]; front?: string[]; tasks: TaskSpec[] }): string {
  const out = ['---', `id: ${id}`, 'type: workplan', `title: ${opts.title ?? `Plan ${id}`}`, `status: ${opts.status}`];
  if (opts.dependsOn?.length) out.push(`depends_on: [${opts.dependsOn.join(', ')}]`);
  out.push(...(opts.front ?? []), '---', '', `# ${id}: ${opts.title ?? `Plan ${id}`}`, '', '## Goal', '', 'Make it so.', '');
  for (const t of opts.tasks) {
    const tid = `${id}-T${String(t.n).padStart(2, '0')}`;
    out.push(`## T${String(t.n).padStart(2, '0')} - Task ${t.n} of ${id}`, '', `id: ${tid}`, `status: ${t.status}`, 'priority: high');
    if (t.dependsOn?.length) out.push(`depends_on: ${t.dependsOn.join(', ')}`);
    out.push(...(t.extra ?? []), '', `Do task ${t.n}.`, '', 'Acceptance:', '', `- Task ${t.n} works.`, '');
  }
  return out.join('\n');
}

/** Writes `files` under a new folder of `parent`; returns its path. */
export function makeRepo(parent: string, name: string, files: Record<string, string>): string {
  const root = path.join(parent, name);
  for (const [rel, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(root, rel)), { recursive: true });
    fs.writeFileSync(path.join(root, rel), text);
  }
  return root;
}

/** The standard two-workplan fixture: WP-2 depends on WP-1; tasks with a dependency inside WP-1. */
export function twoWorkplans(): Record<string, string> {
  return {
    'workplans/WP-1.md': workplan('WP-1', {
      status: 'in_progress',
      tasks: [
        { n: 1, status: 'in_progress' },
        { n: 2, status: 'planned', dependsOn: ['WP-1-T01'] },
      ],
    }),
    'workplans/WP-2.md': workplan('WP-2', { status: 'planned', dependsOn: ['WP-1'], tasks: [{ n: 1, status: 'planned' }] }),
  };
}
