import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/** Where a token was found; the value itself is never part of any result. */
export type TokenSource = 'GITHUB_TOKEN' | 'GH_TOKEN' | 'gh-hosts';

export interface FoundToken {
  token: string;
  source: TokenSource;
}

/**
 * The token for the GitHub API: `GITHUB_TOKEN`, else `GH_TOKEN`, else the
 * `oauth_token` that `gh auth login` stored for `host` in gh's `hosts.yml`
 * (`$GH_CONFIG_DIR`, `$XDG_CONFIG_HOME/gh` or `~/.config/gh`). gh ≥ 2.40 keeps
 * tokens in the system keyring instead, and then hosts.yml holds none:
 * `export GH_TOKEN=$(gh auth token)` covers that case. Null when none is found.
 */
export function findToken(env: Record<string, string | undefined>, host = 'github.com', home = os.homedir()): FoundToken | null {
  for (const name of ['GITHUB_TOKEN', 'GH_TOKEN'] as const) {
    const v = env[name]?.trim();
    if (v) return { token: v, source: name };
  }
  const dir = env.GH_CONFIG_DIR || (env.XDG_CONFIG_HOME ? path.join(env.XDG_CONFIG_HOME, 'gh') : path.join(home, '.config', 'gh'));
  let text: string;
  try {
    text = fs.readFileSync(path.join(dir, 'hosts.yml'), 'utf8');
  } catch {
    return null;
  }
  const token = hostsToken(text, host);
  return token ? { token, source: 'gh-hosts' } : null;
}

/**
 * The `oauth_token` under `<host>:` in gh's hosts.yml. gh writes this file
 * itself in one fixed block style (a top-level key per host, indented keys
 * under it, optionally a `users:` map repeating the token per account), so a
 * line reader is enough and spares a YAML dependency; the host's own
 * `oauth_token` (the active account) wins over one under `users:`.
 */
export function hostsToken(text: string, host: string): string | null {
  let inHost = false;
  let hostIndent = -1;
  let fallback: string | null = null;
  for (const raw of text.split(/\r?\n/)) {
    if (!raw.trim() || raw.trim().startsWith('#')) continue;
    const indent = raw.length - raw.trimStart().length;
    const m = /^\s*(["']?)([^"':]+)\1\s*:\s*(.*?)\s*$/.exec(raw);
    if (!m) continue;
    const key = m[2]!;
    const value = m[3]!.replace(/^(['"])(.*)\1$/, '$2');
    if (indent === 0) {
      inHost = key === host;
      hostIndent = -1;
      continue;
    }
    if (!inHost) continue;
    if (hostIndent === -1) hostIndent = indent;
    if (key !== 'oauth_token' || !value) continue;
    if (indent === hostIndent) return value;
    fallback ??= value;
  }
  return fallback;
}
