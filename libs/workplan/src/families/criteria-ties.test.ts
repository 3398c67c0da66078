import { describe, expect, test } from 'vitest';
import { find, md, parse } from '../__fixtures__/test-utils.js';

// Acceptance bullets tied to what verifies them (docs/formats.md#criteria-tied-to-checks).

describe('criteria tied to checks', () => {
  test('`Check:` on a continuation line or a nested bullet, `Verified by:` inline or nested', () => {
    const text = md(`
# GX-WP-0001: Demo

## T01 - One

id: GX-WP-0001-T01
status: planned
checks:
- \`npm test\`

Acceptance:

- Parses every seed
  Check: \`npx vitest run libs/workplan\`
- Writes are atomic
  - Check: \`npm run soak\`, \`npm test\`
- Docs updated (verified by GX-WP-0001-T02 and GX-WP-0001-T03)
- Reviewed
  - Verified by: GX-WP-0001-T02
  - a plain nested note
- [x] Ticked by hand
- A sentence that mentions check: without a command
`);
    const { document } = parse(text);
    const t01 = document!.items.find((i) => i.localId === 'T01')!;
    expect(t01.criteria).toEqual([
      { text: 'Parses every seed', checked: null, checks: ['npx vitest run libs/workplan'], ...find(text, 'Parses every seed') },
      { text: 'Writes are atomic', checked: null, checks: ['npm run soak', 'npm test'], ...find(text, 'Writes are atomic') },
      { text: 'Docs updated', checked: null, verifiedBy: ['GX-WP-0001-T02', 'GX-WP-0001-T03'], ...find(text, 'Docs updated') },
      { text: 'Reviewed', checked: null, verifiedBy: ['GX-WP-0001-T02'], ...find(text, 'Reviewed') },
      { text: 'a plain nested note', checked: null, ...find(text, 'a plain nested note') },
      { text: 'Ticked by hand', checked: true, ...find(text, 'Ticked by hand') },
      { text: 'A sentence that mentions check: without a command', checked: null, ...find(text, 'A sentence that mentions') },
    ]);
  });

  // Exponential or quadratic backtracking would run past the test timeout here.
  test('the tie patterns stay linear on long hostile lines', () => {
    const hostile = `- ${'verified by a'.repeat(1)}${'and'.repeat(20_000)}!\n- check: ${'`a` '.repeat(20_000)}x\n`;
    const text = `# GX-WP-0002: Demo\n\n## T01 - One\n\nid: GX-WP-0002-T01\nstatus: planned\n\nAcceptance:\n\n${hostile}`;
    const { document } = parse(text);
    expect(document!.items.find((i) => i.localId === 'T01')!.criteria.map((c) => c.checks ?? c.verifiedBy ?? null)).toEqual([null, null]);
  });
});
