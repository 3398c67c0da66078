import { spawnSync } from 'node:child_process';
import { beforeAll, describe, expect, it } from 'vitest';
import { BIN, ensureFreshBundle, OK_FILES, REPO, tempRoot } from './support.js';

// What only the bundled binary shows of the CLI at scale (in-process cases: apps/cli/src/
// scale.test.ts): the progress line on a real terminal and never in a pipe, the bash
// completion script run by bash itself, global flags before the command.

beforeAll(ensureFreshBundle, 120_000);

const CLEAR = '\r\x1b[2K';
const env = (extra: Record<string, string> = {}) => ({ PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', ...extra });

describe('progress', () => {
  it('on a terminal (script(1) gives the binary a pty) the load draws its progress and erases it; in a pipe, nothing', () => {
    const root = tempRoot(OK_FILES);
    // script runs the command on a pty and copies what the pty shows to its stdout; stdout
    // of govern goes to a file so the pty carries stderr alone.
    const out = `${root}/out.json`;
    const cmd = `${process.execPath} ${BIN} graph --json --no-cache --root ${root} > ${out}`;
    const tty = spawnSync('script', ['-qec', cmd, '/dev/null'], { cwd: REPO, env: env({ GOVERN_PROGRESS_AFTER_MS: '0' }), encoding: 'utf8' });
    expect(tty.status).toBe(0);
    expect(tty.stdout.startsWith(`${CLEAR}govern: parsing 1/3 documents…`)).toBe(true);
    expect(tty.stdout.endsWith(CLEAR)).toBe(true);
    const piped = spawnSync(process.execPath, [BIN, 'graph', '--json', '--no-cache', '--root', root], { cwd: REPO, env: env({ GOVERN_PROGRESS_AFTER_MS: '0' }), encoding: 'utf8' });
    expect({ code: piped.status, err: piped.stderr }).toEqual({ code: 0, err: '' });
    expect(spawnSync('cat', [out], { encoding: 'utf8' }).stdout).toBe(piped.stdout);
  });
});

describe('bash completion', () => {
  /** What the generated script offers for the words typed so far (the last one being completed). */
  function complete(words: string[]): string[] {
    const script = spawnSync(process.execPath, [BIN, 'completion', 'bash'], { cwd: REPO, env: env(), encoding: 'utf8' }).stdout;
    const line = `${script}\nCOMP_WORDS=(${words.map((w) => `'${w}'`).join(' ')}); COMP_CWORD=${words.length - 1}; _govern_completion; printf '%s\\n' "\${COMPREPLY[@]}"`;
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', line], { env: env(), encoding: 'utf8' });
    expect(r.stderr).toBe('');
    return r.stdout.split('\n').filter(Boolean);
  }

  it('completes commands, subcommands after global flags, options and their choices', () => {
    expect(complete(['govern', 'gr'])).toEqual(['graph']);
    expect(complete(['govern', '--root', 'x', 'task', ''])).toEqual(['show', 'set-status', 'add', 'edit-acceptance', 'add-dep', '--help', '-h']);
    expect(complete(['govern', 'graph', '--st'])).toEqual(['--status']);
    expect(complete(['govern', 'graph', '--status', 'in'])).toEqual(['in_progress']);
    expect(complete(['govern', 'completion', ''])).toEqual(['bash', 'zsh', 'fish', '--help', '-h']);
  });
});

describe('global flags before the command (the binary)', () => {
  it('govern --root X --json status prints what govern status --root X --json does', () => {
    const root = tempRoot(OK_FILES);
    const run = (argv: string[]) => spawnSync(process.execPath, [BIN, ...argv], { cwd: REPO, env: env(), encoding: 'utf8' });
    const before = run(['--root', root, '--json', 'status']);
    const after = run(['status', '--root', root, '--json']);
    expect({ code: before.status, out: before.stdout, err: before.stderr }).toEqual({ code: after.status, out: after.stdout, err: after.stderr });
    expect(before.stdout.startsWith('{"root":')).toBe(true);
  });
});
