import { describe, expect, it } from 'vitest';
import { contractsPin } from '@govern/contracts';
import { checkConsumerPin, compatibilityFixtures, runFixture } from '@govern/contracts/testing';

// The binder is a consumer of @govern/contracts (docs/contracts.md): it pins the
// version and manifest hash it is written against in libs/binder/contracts.pin.json,
// and runs the owner's compatibility fixtures, so a contract change fails here
// until the binder is adapted, the pin bumped and the migration note written.

const PIN_FILE = 'libs/binder/contracts.pin.json';

describe('the @govern/contracts pin of the binder', () => {
  it('names the current version and hash, with its migration note in docs/contracts.md', () => {
    expect(checkConsumerPin({ consumer: '@govern/binder', pinFile: PIN_FILE })).toEqual([]);
  });

  it('fails, saying how to bump, when the package moves on from the pin', () => {
    const moved = { version: '2.0.0', hash: 'e'.repeat(64) };
    const problems = checkConsumerPin({ consumer: '@govern/binder', pinFile: PIN_FILE, current: moved });
    const { version, hash } = contractsPin();
    expect(problems).toEqual([
      {
        code: 'pin-outdated',
        message:
          `@govern/binder pins @govern/contracts ${version} (${hash.slice(0, 12)}) but the package is 2.0.0 (eeeeeeeeeeee). ` +
          'To bump: read libs/contracts/CHANGELOG.md and the migration note for 2.0.0 in docs/contracts.md, adapt @govern/binder and its tests, then ' +
          `${PIN_FILE} must contain:\n${JSON.stringify(
            {
              $comment:
                '@govern/binder is written against this version of @govern/contracts. Bump it only after reading libs/contracts/CHANGELOG.md and the migration note in docs/contracts.md; the test fails until both agree.',
              package: '@govern/contracts',
              version: '2.0.0',
              hash: 'e'.repeat(64),
            },
            null,
            2,
          )}\n`,
      },
    ]);
  });

  it.each(compatibilityFixtures().map((f) => [f.file, f] as const))('compatibility fixture %s gives its expected result', (_file, f) => {
    expect(runFixture(f)).toEqual(f.expected);
  });
});
