import { describe, expect, test } from 'vitest';
import { findSecrets, isSecretName, knownSecretsFromEnv, redactSecrets } from './secrets.js';

// Tokens built at run time so this file holds no literal that scanners flag.
const GH = `ghp_${'x7Kq'.repeat(9)}`;
const AWS_ID = `AKIA${'QZRT'.repeat(4)}`;
const AWS_SECRET = 'qJ8k3Lm9Np2Qr5St7Uv0Wx4Yz6Ab1Cd3Ef5Gh7Ij';
const SLACK = `xoxb-${'1234567890'}-abcdefghij`;

describe('findSecrets', () => {
  test('finds token shapes with their line and column, and nothing in plain text', async () => {
    const text = [
      'building...',
      `token for the push: ${GH}`,
      `aws_secret_access_key = ${AWS_SECRET}`,
      `id ${AWS_ID} slack ${SLACK}`,
      'fetch https://user:hunter22@example.com/repo.git',
      'Authorization: Bearer abcdefghijklmnop',
      'password=correct-horse',
      'all 12 tests passed',
    ].join('\n');
    const found = await findSecrets(text);
    expect(found.map((f) => [f.line, f.column, text.slice(f.start, f.end)])).toEqual([
      [2, 21, GH],
      [3, 1, `aws_secret_access_key = ${AWS_SECRET}`], // secretlint's AWS rule marks the name too
      [4, 4, AWS_ID],
      [4, 31, SLACK],
      [5, 15, 'user:hunter22'],
      [6, 23, 'abcdefghijklmnop'],
      [7, 10, 'correct-horse'],
    ]);
    expect(await findSecrets('all 12 tests passed\nduration 3.2 s\n')).toEqual([]);
  });

  // Found by the binder's round 6: the text screened is content (a log, an envelope), so a
  // `secretlint-disable` comment in it must not switch the screening off.
  test('a secretlint-disable comment in the text does not hide a secret', async () => {
    const NPM = `npm_${'aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dF3hJ5'}`;
    for (const comment of ['secretlint-disable', '// secretlint-disable-next-line', `x # secretlint-disable-line`]) {
      const text = `${comment}\nref ${NPM}`;
      expect((await findSecrets(text)).map((f) => text.slice(f.start, f.end)), comment).toEqual([NPM]);
    }
    const same = `// secretlint-disable-line ref ${NPM}`;
    expect((await findSecrets(same)).map((f) => same.slice(f.start, f.end))).toEqual([NPM]);
  });

  test('finds the values of secret-named environment variables verbatim, whatever their shape', async () => {
    const env = { GITHUB_TOKEN: 'shapeless-but-secret', AWS_SECRET_ACCESS_KEY: AWS_SECRET, HOME: '/home/me', SHORT_TOKEN: 'abc' };
    const known = knownSecretsFromEnv(env);
    expect(known.map((k) => k.name)).toEqual(['GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY']);
    const { text, findings } = await redactSecrets(`a shapeless-but-secret b ${AWS_SECRET} c /home/me`, { known });
    expect(text).toBe('a [REDACTED:env:GITHUB_TOKEN] b [REDACTED:env:AWS_SECRET_ACCESS_KEY] c /home/me');
    expect(findings.map((f) => f.rule)).toEqual(['env:GITHUB_TOKEN', 'env:AWS_SECRET_ACCESS_KEY']);
  });
});

test('strict leaves out the rules that match prose', async () => {
  const text = `a bearer token: required on every request\nToken authentication is used\n${GH}\n`;
  expect((await findSecrets(text)).map((f) => f.rule)).toEqual(['secret-pair', 'auth-scheme', 'github']);
  expect((await findSecrets(text, { strict: true })).map((f) => f.rule)).toEqual(['github']);
});

describe('redactSecrets', () => {
  test('replaces each secret and keeps everything else byte for byte', async () => {
    const { text } = await redactSecrets(`ok\nGITHUB_TOKEN=${GH}\nclone https://bot:s3cretpass@git.example.com/x\nok\n`);
    expect(text).toBe('ok\nGITHUB_TOKEN=[REDACTED:github]\nclone https://[REDACTED:url-credentials]@git.example.com/x\nok\n');
  });

  test('a 1 MiB log with one token: found, in linear time', async () => {
    const big = `${'x'.repeat(1 << 20)}\n${GH}\n`;
    const { findings } = await redactSecrets(big);
    expect(findings.map((f) => [f.line, f.column])).toEqual([[2, 1]]);
  });
});

test('isSecretName', () => {
  expect(['GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY', 'DB_PASSWORD', 'NPM_AUTH', 'OTEL_EXPORTER_OTLP_HEADERS', 'SSH_KEY', 'OPENAI_API_KEY'].map(isSecretName)).toEqual(Array(7).fill(true));
  expect(['PATH', 'HOME', 'KEYBOARD_LAYOUT', 'NODE_OPTIONS', 'CI', 'MONKEY'].map(isSecretName)).toEqual(Array(6).fill(false));
});
