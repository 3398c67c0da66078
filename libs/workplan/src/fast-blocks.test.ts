import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { agreeOnGenerated, bodyOf, check } from './__fixtures__/fast-agree.js';
import { blocksFast } from './fast-blocks.js';
import { blocksFromMarkdown } from './markdown.js';

const SUPPORTED: Record<string, string> = {
  headings: '# Title\n\n## T01 - Task ##\n\n###   Spaced   \n\n####\n\n## Trailing # not closing#\n',
  paragraph: 'id: X-1\nstatus: done\n  priority: high\n\nSecond paragraph\nwith two lines   \n',
  table: '| Order | Milestone | Status |\n|---:|---|---|\n| 1 | LM-01 `code` | Done (#27) |\n| 2 | LM-02 \\| pipe |  |\n',
  tableNoOuterPipes: 'A | B\n--- | ---\n| x | y |\n',
  tableThenHeading: '| A | B |\n|---|---|\n| 1 | 0 |\n## Next\n',
  bullets: '- one\n- two\n  continued\n- [x] done item\n- [ ] open item\n* other list\n',
  nested: '- parent\n  - child [x]\n  - [x] checked child\n    - grandchild\n- sibling\n',
  loose: '- a\n\n- b\n\nafter\n',
  ordered: '1. first\n2. second\n\nText\n3. not a list start\n\n1) paren\n',
  lazy: '- item line one\nlazy continuation\n- next\n',
  labelThenList: 'Acceptance:\n- a\n- b\n\nExit criteria:\n\n- [x] c\n',
  fences: '```yaml\nid: T\nstatus: done\n```\n\n~~~\nraw | not a table\n|---|---|\n~~~\n\n````md\n```\ninner\n```\n````\n',
  unclosedFence: 'text\n\n```\nnever closed\n- not a list\n',
  // Fuzz seed 253815373: micromark drops a last line that is blank once the fence's
  // indentation is taken off, as it drops the empty string after a final newline.
  unclosedIndentedFenceBlankEnd: '  ```\n\n ',
  unclosedIndentedFenceSpacesEnd: '  ```\n \n  ',
  unclosedIndentedFenceKeepsWiderEnd: '  ```\n\n   ',
  unclosedFenceKeepsSpaceEnd: '```\n\n ',
  unclosedIndentedFenceBlankThenNewline: '  ```\n a\n \n',
  // Fuzz seed 888: the item starts one character past the checkbox, as remark-gfm has it.
  taskTwoBlanks: '## T01 - a\n- [ ]  |\n- [x]   wide\n- [ ]\tx\n',
  thematic: 'a\n\n---\n\n***\n\n- - -\n',
  unicode: '## T01 - Ünïcödé 🚀 标题\n\nstatus: 完成\n\n| 名称 | 状态 |\n|---|---|\n| 里程碑 | Done |\n',
  orderedInterrupt: 'Paragraph line\n1. interrupts\n',
  bulletInterrupt: 'Paragraph line\n- interrupts\n',
  deepIndentItem: '-   wide marker spacing\n- x\n',
};

describe('fast scanner vs remark', () => {
  for (const [name, md] of Object.entries(SUPPORTED)) {
    it(`handles ${name} exactly like remark`, () => {
      expect(check(md)).toBe('same');
    });
  }

  it('declines constructs it does not reproduce, and remark handles them', () => {
    for (const md of ['> quote\nlazy continuation', '<div>\n</div>', 'Setext\n===', 'Setext\n---', '    indented code', '\t- tab', '[ref]: http://x', '- ```\n  code\n  ```', 'para\n| a | b |\n|---|---|']) {
      expect(blocksFast(md, 0), md).toBeNull();
      expect(blocksFromMarkdown(md, 0).length, md).toBeGreaterThan(0);
    }
  });

  it('reads a block quote that a blank line or the end closes as one block, as remark does', () => {
    for (const md of ['> quote', '> a\n> - b\n>\n> ```\n\ntext', '- a\n> q\n\n## T01 - x']) {
      expect(blocksFast(md, 0), md).not.toBeNull();
      expect(check(md)).toBe('same');
    }
  });

  it('never disagrees with remark on ragged or code-span tables (it may decline)', () => {
    for (const md of ['| a | b |\n|---|---|\n| `x|y` | z |\n', '| a | b |\n|---|---|\n| only |\n', '| a |\n|---|\n| 1 | 2 | 3 |\n']) check(md);
  });

  it('adds the line offset exactly as remark does', () => {
    expect(check('## T01 - x\n\n- [x] a\n', 7)).toBe('same');
  });

  // 60 documents here (the three families, every generator variant); fast-blocks.soak.ts
  // runs 600. The generated formats are the common case: nearly all take the fast path.
  it('agrees with remark on 60 generated documents of all three families', () => {
    expect(agreeOnGenerated(60)).toBeGreaterThan(58);
  });

  it('agrees with remark on every fixture and seed document', () => {
    const here = path.dirname(fileURLToPath(import.meta.url));
    const dirs = [path.join(here, '__fixtures__'), path.resolve(here, '../fixtures/seeds')];
    let files = 0;
    for (const dir of dirs) {
      if (!fs.existsSync(dir)) continue;
      for (const f of fs.readdirSync(dir)) {
        if (!/\.(md|txt)$/.test(f)) continue;
        const { body, offset } = bodyOf(fs.readFileSync(path.join(dir, f), 'utf8'));
        check(body, offset);
        files++;
      }
    }
    expect(files).toBeGreaterThan(0);
  });
});
