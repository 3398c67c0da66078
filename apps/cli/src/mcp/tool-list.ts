import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { Tool } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { GovernMcp } from './server.js';

/**
 * The tools a server serves, as a client sees them: asked over the protocol
 * (tools/list through an in-memory transport), so the list is the server's own tool
 * table and nothing kept beside it.
 */
export async function listServedTools(mcp: GovernMcp): Promise<Tool[]> {
  const [clientSide, serverSide] = InMemoryTransport.createLinkedPair();
  await mcp.server.connect(serverSide);
  const client = new Client({ name: 'govern-tool-list', version: '0.0.0' });
  await client.connect(clientSide);
  try {
    const tools: Tool[] = [];
    let cursor: string | undefined;
    // The raw answer, not client.listTools(): that one validates every schema in the list,
    // and one tool's malformed schema would hide the whole list this is meant to show.
    const Page = z.looseObject({ tools: z.array(z.looseObject({ name: z.string() })), nextCursor: z.string().optional() });
    do {
      const page = await client.request({ method: 'tools/list', params: cursor ? { cursor } : {} }, Page);
      tools.push(...(page.tools as Tool[]));
      cursor = page.nextCursor;
    } while (cursor);
    return tools;
  } finally {
    await client.close();
  }
}

/** Notes on groups of tools, by name prefix: when they are served and what they need. */
const NOTES: [prefix: string, note: string][] = [['memory_', ' — served when `GOVERN_MEMORYD_URL` is set']];

/**
 * The tools as the Markdown list the README holds between its `mcp-tools` markers:
 * one line per tool, in the server's order, with its title, whether it only reads,
 * and when it is served. `govern mcp --list-tools` prints it; a test checks the README
 * holds exactly this for the tools served with memoryd configured.
 */
export function toolsMarkdown(tools: readonly Tool[]): string {
  return tools
    .map((t) => {
      const note = NOTES.find(([p]) => t.name.startsWith(p))?.[1] ?? '';
      const kind = t.annotations?.readOnlyHint ? 'reads' : 'writes';
      return `- \`${t.name}\` (${kind}): ${t.title ?? t.annotations?.title ?? t.name}${note}`;
    })
    .join('\n');
}
