import type { Readable, Writable } from 'node:stream';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { JSONRPCMessageSchema, type JSONRPCMessage, type RequestId } from '@modelcontextprotocol/sdk/types.js';

/** The largest message (one line, without its newline) the server reads: 10 MiB, the SDK's own default. */
export const MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/** JSON-RPC 2.0's codes for a line that is not JSON, and for JSON that is not a request the server can take. */
export const PARSE_ERROR = -32700;
export const INVALID_REQUEST = -32600;

const NEWLINE = 0x0a;

/**
 * The MCP stdio transport of `govern mcp`: newline-delimited JSON-RPC on stdin
 * and stdout, as the SDK's StdioServerTransport, but it never gives up on the
 * session. The SDK's transport (1.32) buffers a line with no bound but a total
 * one, and when that is exceeded it throws and closes: nothing is answered any
 * more, pings included. It also drops a line that is not a JSON-RPC message
 * without a reply, so a client waits for an answer that never comes.
 *
 * Here every line is answered or passed on:
 *
 * - a line over `maxMessageBytes` is not kept: its bytes are skipped up to the
 *   newline (only scanned for the message's top-level `id`), and it is answered
 *   with Invalid Request (-32600) naming the limit, with that id when the line is
 *   a request, else with id null;
 * - a line that is not JSON: Parse error (-32700), id null;
 * - a batch (a JSON array; MCP has no batches): Invalid Request, id null;
 * - JSON that is not a JSON-RPC 2.0 message (no method, no `jsonrpc: "2.0"`, …):
 *   Invalid Request, with the message's id if it has a usable one;
 * - an empty line is skipped.
 *
 * Each refusal is also logged through `onerror`. Valid messages go to the
 * protocol as with the SDK's transport; replies are written in the order they are
 * produced.
 */
export class LineTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;

  private readonly max: number;
  private chunks: Buffer[] = [];
  private size = 0;
  /** Set while the rest of an oversized line is skipped. */
  private skipping: TopLevelScanner | null = null;
  private started = false;
  private closed = false;

  constructor(
    private readonly stdin: Readable,
    private readonly stdout: Writable,
    opts: { maxMessageBytes?: number } = {},
  ) {
    this.max = opts.maxMessageBytes ?? MAX_MESSAGE_BYTES;
  }

  async start(): Promise<void> {
    if (this.started) throw new Error('LineTransport already started');
    this.started = true;
    this.stdin.on('data', this.onData);
    this.stdin.on('error', this.onStdinError);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.stdin.off('data', this.onData);
    this.stdin.off('error', this.onStdinError);
    if (this.stdin.listenerCount('data') === 0) this.stdin.pause();
    this.chunks = [];
    this.size = 0;
    this.skipping = null;
    this.onclose?.();
  }

  send(message: JSONRPCMessage): Promise<void> {
    return this.write(message);
  }

  private write(message: unknown): Promise<void> {
    return new Promise((resolve) => {
      if (this.stdout.write(`${JSON.stringify(message)}\n`)) resolve();
      else this.stdout.once('drain', resolve);
    });
  }

  private readonly onStdinError = (err: Error) => this.onerror?.(err);

  private readonly onData = (data: Buffer | string) => {
    const chunk = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    let start = 0;
    while (start < chunk.length && !this.closed) {
      const nl = chunk.indexOf(NEWLINE, start);
      const piece = chunk.subarray(start, nl === -1 ? chunk.length : nl);
      if (this.skipping) this.skipping.feed(piece);
      else if (this.size + piece.length > this.max) {
        // Over the limit: from here the line is only scanned, never kept.
        const scanner = new TopLevelScanner();
        for (const c of this.chunks) scanner.feed(c);
        scanner.feed(piece);
        this.chunks = [];
        this.size = 0;
        this.skipping = scanner;
      } else if (piece.length) {
        this.chunks.push(piece);
        this.size += piece.length;
      }
      if (nl === -1) return;
      start = nl + 1;
      if (this.skipping) {
        const scanner = this.skipping;
        this.skipping = null;
        this.refuseOversized(scanner);
      } else {
        const line = (this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks)).toString('utf8');
        this.chunks = [];
        this.size = 0;
        this.handleLine(line);
      }
    }
  };

  private handleLine(line: string): void {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      this.refuse(null, PARSE_ERROR, 'Parse error: the message is not valid JSON');
      return;
    }
    if (Array.isArray(value)) {
      this.refuse(null, INVALID_REQUEST, 'Invalid Request: JSON-RPC batches are not supported; send one message per line');
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(value);
    if (parsed.success) {
      // A throwing handler must not stop the lines after this one from being read.
      try {
        this.onmessage?.(parsed.data);
      } catch (err) {
        this.onerror?.(err instanceof Error ? err : new Error(String(err)));
      }
      return;
    }
    this.refuse(replyId(value), INVALID_REQUEST, `Invalid Request: ${whatIsWrong(value)}`);
  }

  private refuseOversized(scanner: TopLevelScanner): void {
    const mib = this.max / (1024 * 1024);
    const limit = Number.isInteger(mib) ? `${this.max} bytes (${mib} MiB)` : `${this.max} bytes`;
    // An id is used only for a request (a method next to it): answering a response's id
    // would look, to the client, like an answer to a request of its own.
    const id = scanner.hasMethod ? scanner.id : null;
    this.refuse(id, INVALID_REQUEST, `Request too large: the message of ${scanner.size} bytes exceeds the limit of ${limit}; it was discarded`, {
      limit: this.max,
      size: scanner.size,
    });
  }

  private refuse(id: RequestId | null, code: number, message: string, data?: Record<string, unknown>): void {
    this.onerror?.(new Error(`refused a message${id !== null ? ` (id ${JSON.stringify(id)})` : ''}: ${message}`));
    void this.write({ jsonrpc: '2.0', id, error: { code, message, ...(data ? { data } : {}) } });
  }
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * The id to answer an invalid message with: its own, when it is a usable request id
 * and the message is not a response (a response's id is one of the server's
 * requests); else null, as JSON-RPC says for an id that cannot be determined.
 */
function replyId(value: unknown): RequestId | null {
  if (!isObject(value) || 'result' in value || 'error' in value) return null;
  const id = value.id;
  if (typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id))) return id;
  return null;
}

function whatIsWrong(value: unknown): string {
  if (!isObject(value)) return 'a message must be a JSON object';
  if (value.jsonrpc !== '2.0') return 'jsonrpc must be "2.0"';
  if ('result' in value || 'error' in value) return 'not a valid JSON-RPC response';
  if (typeof value.method !== 'string') return 'a request needs a method (a string)';
  if ('id' in value && replyId(value) === null) return 'id must be a string or an integer';
  if ('params' in value && !isObject(value.params)) return 'params must be an object';
  return 'not a valid JSON-RPC 2.0 request or notification';
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const CAPTURE_MAX = 512;

/**
 * Reads an oversized line byte by byte without keeping it, for the two things the
 * refusal needs: its length, and — when it is a JSON object — its top-level `id`
 * and whether it has a top-level `method`. Keys and values nested deeper (a tool
 * argument called `id`, say) are not confused with them; a malformed line just
 * yields no id.
 */
class TopLevelScanner {
  size = 0;
  id: RequestId | null = null;
  hasMethod = false;

  private depth = 0;
  private objectAtTop = false;
  private inString = false;
  private escaped = false;
  /** At depth 1 of the top object: the next string is a key. */
  private expectKey = false;
  /** At depth 1, between a key's colon and its value. */
  private afterColon = false;
  private key: string | null = null;
  private capture: 'key' | 'id-string' | 'id-number' | null = null;
  private bytes: number[] = [];

  feed(b: Buffer): void {
    this.size += b.length;
    for (let i = 0; i < b.length; i++) {
      const c = b[i]!;
      if (this.inString) {
        if (this.escaped) this.escaped = false;
        else if (c === BACKSLASH) this.escaped = true;
        else if (c === QUOTE) {
          this.inString = false;
          this.endString();
          continue;
        }
        if (this.capture) this.take(c);
        continue;
      }
      if (this.capture === 'id-number') {
        if ((c >= 0x30 && c <= 0x39) || c === 0x2d || c === 0x2b || c === 0x2e || c === 0x65 || c === 0x45) {
          this.take(c);
          continue;
        }
        this.endNumber();
      }
      this.structural(c);
    }
  }

  private structural(c: number): void {
    const top = this.depth === 1 && this.objectAtTop;
    switch (c) {
      case 0x7b: // {
      case 0x5b: // [
        if (this.depth === 0 && c === 0x7b) {
          this.objectAtTop = true;
          this.expectKey = true;
        }
        if (top && this.afterColon) {
          if (this.key === 'id') this.id = null;
          this.afterColon = false;
        }
        this.depth++;
        return;
      case 0x7d: // }
      case 0x5d: // ]
        this.depth--;
        return;
      case 0x2c: // ,
        if (top) this.expectKey = true;
        return;
      case 0x3a: // :
        if (top) this.afterColon = true;
        return;
      case QUOTE:
        this.inString = true;
        if (top) {
          if (this.expectKey) this.begin('key');
          else if (this.afterColon && this.key === 'id') this.begin('id-string');
          this.expectKey = false;
          this.afterColon = false;
        }
        return;
      case 0x20:
      case 0x09:
      case 0x0d:
      case 0x0a:
        return;
      default:
        if (top && this.afterColon) {
          if (this.key === 'id') {
            this.id = null;
            if (c === 0x2d || (c >= 0x30 && c <= 0x39)) {
              this.begin('id-number');
              this.take(c);
            }
          }
          this.afterColon = false;
        }
    }
  }

  private begin(what: NonNullable<TopLevelScanner['capture']>): void {
    this.capture = what;
    this.bytes = [];
  }

  private take(c: number): void {
    if (this.bytes.length <= CAPTURE_MAX) this.bytes.push(c);
  }

  private text(): string | null {
    if (this.bytes.length > CAPTURE_MAX) return null;
    return Buffer.from(this.bytes).toString('utf8');
  }

  private endString(): void {
    const what = this.capture;
    this.capture = null;
    if (!what) return;
    const raw = this.text();
    let value: string | null = null;
    try {
      value = raw === null ? null : (JSON.parse(`"${raw}"`) as string);
    } catch {
      value = null;
    }
    if (what === 'key') {
      this.key = value;
      if (value === 'method') this.hasMethod = true;
    } else this.id = value;
  }

  private endNumber(): void {
    this.capture = null;
    const raw = this.text();
    const n = raw === null ? NaN : Number(raw);
    this.id = Number.isInteger(n) ? n : null;
  }
}
