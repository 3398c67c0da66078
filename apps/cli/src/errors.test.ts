import { describe, expect, it } from 'vitest';
import { GovernError } from '@govern/errors';
import { GateDisabledError, UnknownGateError, type GateState } from '@govern/gates';
import { WriteError } from '@govern/write';
import { UsageError, type CommandContext } from './context.js';
import { itemNotFound, renderError, renderRefusal } from './errors.js';

// Loaded lazily, as the CLI loads it (a static import is refused by the module-boundary lint).
const statehub = () => import('@govern/statehub');

/** A context that captures stdout and stderr. */
function capture(): { ctx: CommandContext; out: () => string; err: () => string } {
  let out = '';
  let err = '';
  const ctx: CommandContext = {
    cwd: process.cwd(),
    stdout: { write: (s: string | Uint8Array) => (out += typeof s === 'string' ? s : Buffer.from(s).toString('utf8')) },
    stderr: { write: (s: string) => (err += s) },
    env: {},
  };
  return { ctx, out: () => out, err: () => err };
}

/** Renders `error` and returns everything observable: exit code, stdout, stderr. */
function render(error: unknown, opts: { json?: boolean; prefix?: string } = {}) {
  const io = capture();
  const code = renderError(io.ctx, error, opts);
  return { code, out: io.out(), err: io.err() };
}

const BLOCKER = { id: 'GV-04', found: true, title: 'Store', status: 'planned' as const, statusText: 'Planned', done: false, file: 't.md', line: 3, column: 7 };
const STATE: GateState = { name: 'store', description: null, project: null, enabled: false, requires: [BLOCKER], blockedBy: [BLOCKER], source: { file: 'govern.config.yaml', line: 2, column: 3 } };
const GATE_MESSAGE = 'gate store is disabled: GV-04 "Store" is planned (at t.md:3:7). It is enabled when GV-04 is done.';

describe('renderError: the one CLI error renderer', () => {
  it('a refusal with --json: { error } on one line on stdout, nothing on stderr, exit 1', () => {
    const err = new WriteError('conflict', 'trackers/t.md changed since it was read', { file: 'trackers/t.md' });
    expect(render(err, { json: true })).toEqual({
      code: 1,
      out: '{"error":{"code":"conflict","message":"trackers/t.md changed since it was read","details":{"file":"trackers/t.md"}}}\n',
      err: '',
    });
  });

  it('a refusal without --json: "<prefix>: <message> [<code>]" and its note on stderr, exit 1', async () => {
    const { StateHubError } = await statehub();
    const err = new WriteError('dependencies-not-done', 'AB-02 depends on AB-01 (planned)', { note: '--force overrides this' });
    expect(render(err)).toEqual({ code: 1, out: '', err: 'govern: AB-02 depends on AB-01 (planned) [dependencies-not-done]\n  note: --force overrides this\n' });
    expect(render(new StateHubError('unreachable', 'no answer', null), { prefix: 'govern: statehub' })).toEqual({ code: 1, out: '', err: 'govern: statehub: no answer [unreachable]\n' });
  });

  it("a subclass's own JSON (StateHubError adds the HTTP status)", async () => {
    const { StateHubError } = await statehub();
    expect(JSON.parse(render(new StateHubError('unauthorized', 'bad token', 401, { operation: 'health' }), { json: true }).out)).toEqual({
      error: { code: 'unauthorized', message: 'bad token', details: { operation: 'health', status: 401 } },
    });
  });

  it('gate errors: the explanation without a [code]; gate-unknown exits 2', () => {
    expect(render(new GateDisabledError(STATE))).toEqual({ code: 1, out: '', err: `govern: ${GATE_MESSAGE}\n` });
    expect(render(new UnknownGateError('nope', ['store']))).toEqual({ code: 2, out: '', err: 'govern: no gate named nope is declared in govern.config.yaml (declared: store)\n' });
    expect(render(new UnknownGateError('nope', ['store']), { json: true })).toEqual({
      code: 2,
      out: '{"error":{"code":"gate-unknown","message":"no gate named nope is declared in govern.config.yaml (declared: store)","details":{"gate":"nope","known":["store"]}}}\n',
      err: '',
    });
  });

  it('a usage error: the message on stderr, and with --json the { error } object (code usage) on stdout too; exit 2', () => {
    const err = 'govern: --root /nope: not a directory\n';
    expect(render(new UsageError('--root /nope: not a directory'))).toEqual({ code: 2, out: '', err });
    expect(render(new UsageError('--root /nope: not a directory', { root: '/nope' }), { json: true })).toEqual({
      code: 2,
      out: '{"error":{"code":"usage","message":"--root /nope: not a directory","details":{"root":"/nope"}}}\n',
      err,
    });
  });

  it('anything else is an internal error: the stack on stderr, { error: internal-error } on stdout with --json; exit 3', () => {
    const bug = new TypeError('x is undefined');
    const human = render(bug);
    expect([human.code, human.out, human.err.split('\n')[0], human.err.split('\n')[1]]).toEqual([3, '', 'govern: internal error: TypeError: x is undefined', expect.stringMatching(/^\s+at /)]);
    const json = render(bug, { json: true });
    expect([json.code, json.out, json.err]).toEqual([3, '{"error":{"code":"internal-error","message":"x is undefined","details":{}}}\n', human.err]);
    expect(render('thrown text')).toEqual({ code: 3, out: '', err: 'govern: internal error: thrown text\n' });
  });

  it('an error from another bundle (recognised by its registered symbol) renders like its own', () => {
    const foreign = Object.assign(new Error('memoryd is not reachable'), { [Symbol.for('govern.error')]: true, code: 'memoryd-unavailable', details: { url: 'http://x' }, exitCode: 1 });
    expect(render(foreign, { prefix: 'govern memory' })).toEqual({ code: 1, out: '', err: 'govern memory: memoryd is not reachable [memoryd-unavailable]\n' });
  });
});

describe('renderRefusal (a command catch)', () => {
  it('renders a GovernError and returns its exit code; rethrows anything else to runCli', () => {
    const io = capture();
    expect(renderRefusal(io.ctx, { json: true }, itemNotFound('AB-404'))).toBe(1);
    expect(io.out()).toBe('{"error":{"code":"item-not-found","message":"no item AB-404","details":{"item":"AB-404"}}}\n');
    const bug = new Error('boom');
    expect(() => renderRefusal(io.ctx, {}, bug)).toThrow(bug);
    expect(renderRefusal(io.ctx, {}, new GovernError('demo', 'refused'))).toBe(1);
    expect(io.err()).toBe('govern: refused [demo]\n');
  });
});
