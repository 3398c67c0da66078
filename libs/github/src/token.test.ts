import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { findToken, hostsToken } from './token.js';

const home = fs.mkdtempSync(path.join(os.tmpdir(), 'govern-gh-home-'));
afterAll(() => fs.rmSync(home, { recursive: true, force: true }));

// gh 2.40+ (multi-account): the active account's token at host level, each account's under users:.
const HOSTS = `github.com:
    users:
        alice:
            oauth_token: gho_alice
        bob:
            oauth_token: gho_bob
    git_protocol: https
    oauth_token: gho_active
    user: bob
ghe.example.com:
    oauth_token: "gho_enterprise"
`;

describe('findToken', () => {
  test('GITHUB_TOKEN, then GH_TOKEN, then gh hosts.yml; blank values are skipped', () => {
    fs.mkdirSync(path.join(home, '.config/gh'), { recursive: true });
    fs.writeFileSync(path.join(home, '.config/gh/hosts.yml'), HOSTS);
    expect([
      findToken({ GITHUB_TOKEN: 'a', GH_TOKEN: 'b' }, 'github.com', home),
      findToken({ GITHUB_TOKEN: ' ', GH_TOKEN: 'b' }, 'github.com', home),
      findToken({}, 'github.com', home),
      findToken({}, 'ghe.example.com', home),
      findToken({}, 'other.example.com', home),
      findToken({ GH_CONFIG_DIR: path.join(home, 'nowhere') }, 'github.com', home),
    ]).toEqual([
      { token: 'a', source: 'GITHUB_TOKEN' },
      { token: 'b', source: 'GH_TOKEN' },
      { token: 'gho_active', source: 'gh-hosts' },
      { token: 'gho_enterprise', source: 'gh-hosts' },
      null,
      null,
    ]);
  });

  test('hosts.yml: an older single-account file, and one whose token is only under users:', () => {
    expect(hostsToken('github.com:\n  user: me\n  oauth_token: gho_old\n  git_protocol: ssh\n', 'github.com')).toBe('gho_old');
    expect(hostsToken('github.com:\n    users:\n        me:\n            oauth_token: gho_only\n    user: me\n', 'github.com')).toBe('gho_only');
    expect(hostsToken('github.com:\n    user: me\n', 'github.com')).toBeNull();
  });
});
