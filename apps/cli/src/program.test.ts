import { beforeAll, describe, expect, it } from 'vitest';
import { commandGroupsFor, createProgram, VERSION } from './program.js';
import { cli } from './test-support.js';

// Lazy declaration (program.ts): the command groups a run declares, and that help and
// "did you mean" still see every command. Which bundle files each command loads is checked
// on the build's metafile in apps/cli-e2e/src/package.test.ts.

const ctx = { cwd: '/', env: {}, stdout: { write: () => true }, stderr: { write: () => true } };
const inline = createProgram(ctx, () => undefined);
const GROUPS = ['statehub', 'memory', 'binder', 'diff', 'init', 'serve', 'adapters', 'store'];

// The first import of every group module (vite transforms them) is setup, not a case.
beforeAll(() => commandGroupsFor([], inline), 60_000);

describe('commandGroupsFor', () => {
  it('declares no group for --version or an inline command, the named group for its own command, every group otherwise', async () => {
    expect(await commandGroupsFor(['--version'], inline)).toEqual([]);
    expect(await commandGroupsFor(['-V'], inline)).toEqual([]);
    expect(await commandGroupsFor(['status', '--json'], inline)).toEqual([]);
    expect(await commandGroupsFor(['--json', 'task', 'show', 'X'], inline)).toEqual([]);
    expect(await commandGroupsFor(['init', '--dry-run'], inline)).toHaveLength(1);
    expect(await commandGroupsFor(['binder', 'status'], inline)).toHaveLength(1);
    for (const argv of [[], ['--help'], ['help', 'binder'], ['stathub']]) expect(await commandGroupsFor(argv, inline)).toHaveLength(GROUPS.length);
  });

  it('declares each group as the command of its name', async () => {
    for (const name of GROUPS) {
      const program = createProgram(ctx, () => undefined, await commandGroupsFor([name], inline));
      expect(program.commands.map((c) => c.name()).slice(inline.commands.length)).toEqual([name]);
    }
  });
});

describe('the CLI with lazy declaration', () => {
  it('--version prints the version; help lists every command; an unknown one gets a suggestion', async () => {
    expect(await cli(['--version'])).toEqual({ code: 0, out: `${VERSION}\n`, err: '' });
    const help = await cli(['--help']);
    expect(help.code).toBe(0);
    const listed = [...help.out.matchAll(/^ {2}([a-z]+) /gm)].map((m) => m[1]);
    expect(listed).toEqual([...inline.commands.map((c) => c.name()), ...GROUPS, 'help']);
    expect(await cli(['stathub'])).toEqual({ code: 2, out: '', err: "error: unknown command 'stathub'\n(Did you mean statehub?)\n(run with --help for usage)\n" });
  });
});
