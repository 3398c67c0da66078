/**
 * Document ids that come from where a file is, not from what it says: the id of a
 * document whose front matter names none.
 */

const EXTENSION = /\.(md|markdown)$/i;

/** `specs/001-x/tasks.md` → `tasks`: the file name without its extension. */
export function fileNameId(file: string): string {
  return file.slice(file.lastIndexOf('/') + 1).replace(EXTENSION, '');
}

/** `specs/001-x/tasks.md` → `specs/001-x/tasks`: the path relative to the root without the extension. */
export function pathId(file: string): string {
  return file.replace(EXTENSION, '');
}

/**
 * The files of a root whose file name (without extension) another file shares, each
 * with its path id: `specs/001-x/tasks.md` → `specs/001-x/tasks`. Their documents are
 * named by path when their front matter names no id, so that two `tasks.md` files do
 * not collide. A file whose name is unique is not in the map and keeps its file-name
 * id, so adding a file changes only the ids of the files named like it.
 *
 * @param files paths relative to the root, `/`-separated (as discovered)
 */
export function pathDocumentIds(files: Iterable<string>): Map<string, string> {
  const byName = new Map<string, string[]>();
  for (const f of files) {
    const name = fileNameId(f);
    const group = byName.get(name);
    if (group) group.push(f);
    else byName.set(name, [f]);
  }
  const out = new Map<string, string>();
  for (const group of byName.values()) if (group.length > 1) for (const f of group) out.set(f, pathId(f));
  return out;
}
