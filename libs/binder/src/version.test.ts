import { readFileSync } from 'node:fs';
import { expect, test } from 'vitest';
import { BINDER_VERSION } from './version.js';

test('binder/1 is the version the fingerprint vectors pin: changing the rules means a new version and new vectors', () => {
  const vectors = JSON.parse(readFileSync(new URL('./__fixtures__/fingerprint-vectors.json', import.meta.url), 'utf8')) as { binder_version: string };
  expect({ BINDER_VERSION, vectors: vectors.binder_version }).toEqual({ BINDER_VERSION: 'binder/1', vectors: 'binder/1' });
});
