/**
 * The globs of ownership boundaries (`paths`, `tables`, `remote`), matched by
 * the kit itself: Node 20 has no `path.matchesGlob`, and a boundary must match
 * the same way wherever it is checked. `**` matches any number of `/`-separated
 * segments (none included), `*` any characters but `/`, `?` one character but
 * `/`; everything else is literal. Matching is case-sensitive and whole-string.
 */
export function globToRegExp(glob: string): RegExp {
  let re = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      // `a/**/b` also matches `a/b`; a trailing `/**` matches the directory's contents.
      if (glob[i + 2] === '/') {
        re += '(?:.*/)?';
        i += 2;
      } else {
        re += '.*';
        i += 1;
      }
    } else if (c === '*') re += '[^/]*';
    else if (c === '?') re += '[^/]';
    else re += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${re}$`);
}

/** True when `value` matches one of `globs`. */
export function matchesAny(value: string, globs: readonly string[]): boolean {
  return globs.some((g) => globToRegExp(g).test(value));
}

/**
 * The literal directory a path glob starts with (`.govern/adapters/x` for
 * `.govern/adapters/x/**`): its ancestors may be created to reach the owned
 * files without being owned themselves.
 */
export function literalPrefix(glob: string): string {
  const parts = glob.split('/');
  const out: string[] = [];
  for (const p of parts) {
    if (/[*?]/.test(p)) break;
    out.push(p);
  }
  return out.join('/');
}
