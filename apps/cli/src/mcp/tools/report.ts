import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { auditRepository } from '@govern/closure';
import { UnknownGateError } from '@govern/gates';
import { readAuditLog } from '@govern/write';
import { summarize } from '../../render.js';
import { gatesView, selectAuditRecords } from '../../views.js';
import { GovernError } from '@govern/errors';
import { atLeast, page } from '../bounds.js';
import { decodeCursor, encodeCursor } from '../cursor.js';
import { AuditInput, AuditLogInput, AuditLogOutput, AuditOutput, GatesInput, GatesOutput } from '../schemas.js';
import { defineTool, type ToolContext } from '../tool.js';

const READ_ONLY = { readOnlyHint: true, idempotentHint: true, openWorldHint: false } as const;

/** `gates`, `audit` and `audit_log`: the reports of `govern gates`, `govern audit` and `govern audit log`. */
export function registerReportTools(server: McpServer, tc: ToolContext): void {
  defineTool(
    server,
    tc,
    'gates',
    {
      title: 'Gates',
      description:
        'Every gate of govern.config.yaml: enabled or not, each required item with its status and where it is written, and what blocks a ' +
        'disabled gate; diagnostics of the configuration and the gates. Same data as `govern gates --json`. A disabled gate is not an error.',
      inputSchema: GatesInput,
      outputSchema: GatesOutput,
      annotations: READ_ONLY,
    },
    async (args) => {
      const ws = await tc.open();
      const { report, diagnostics } = gatesView(ws);
      if (args.name === undefined) return { gates: report.gates, diagnostics };
      const gate = report.gates.find((g) => g.name === args.name);
      if (!gate) throw new UnknownGateError(args.name, report.gates.map((g) => g.name));
      return { gates: [gate], diagnostics };
    },
  );

  defineTool(
    server,
    tc,
    'audit',
    {
      title: 'Truthfulness audit',
      description:
        'Is every done item backed by a passing evidence manifest, do cited evidence roots exist, does no summary contradict the items? ' +
        'The counts and ok cover everything; diagnostics are filtered (errors by default) and paged.',
      inputSchema: AuditInput,
      outputSchema: AuditOutput,
      annotations: READ_ONLY,
    },
    async (args) => {
      // The engine brings the workspace up to date inside the closure lock, as `govern audit` loads it.
      const { diagnostics, checked } = await auditRepository(tc.root, () => tc.open());
      const s = summarize(diagnostics);
      const shown = atLeast(diagnostics, args.severity).filter((d) => (!args.code || d.code === args.code) && (!args.file || d.file === args.file));
      const p = page(shown, args.offset, args.limit);
      return { ok: s.errors === 0, checked, ...s, diagnostics: p.items, total: p.total, offset: p.offset, nextOffset: p.nextOffset };
    },
  );

  defineTool(
    server,
    tc,
    'audit_log',
    {
      title: 'Audit log',
      description:
        'The append-only record of every status write and closure (ops/audit/govern-audit.jsonl): who, when, through what, from/to, file hashes, ' +
        'forced rules. The newest records (50 by default), oldest first; optionally of one item. For older records pass nextCursor as cursor ' +
        '(appends made since do not shift the pages).',
      inputSchema: AuditLogInput,
      outputSchema: AuditLogOutput,
      annotations: READ_ONLY,
    },
    async (args) => {
      const { records, diagnostics } = readAuditLog(tc.root);
      // A position in the log and the id of the record there: the log only grows at its
      // end, so the records before a position stay the same ones.
      let before = records.length;
      let item = args.item;
      if (args.cursor !== undefined) {
        const c = decodeCursor<{ before: number; id: string }>('audit_log', args.cursor, { item: args.item });
        item = c.filters.item as string | undefined;
        if (records[c.at.before]?.id !== c.at.id) {
          throw new GovernError('cursor-stale', 'the audit log no longer holds the record this cursor points at (it was rewritten); start again without a cursor', {
            details: { id: c.at.id },
          });
        }
        before = c.at.before;
      }
      const positions = records.flatMap((r, k) => (k < before && (!item || r.item === item) ? [k] : []));
      const shown = positions.slice(Math.max(0, positions.length - args.limit));
      const first = shown[0];
      const nextCursor = first !== undefined && positions.length > shown.length ? encodeCursor('audit_log', { item }, { before: first, id: records[first]!.id }) : null;
      const total = selectAuditRecords(records, item ? { item } : {}).length;
      return { records: shown.map((k) => records[k]!), total, nextCursor, diagnostics };
    },
  );
}
