import { describe, expect, it } from 'vitest';
import type { DecodedTraces } from './model.js';
import { DEFAULT_REDACT_KEYS, Redactor } from './redact.js';

// Made-up credentials of the real shapes (none is valid anywhere).
const SECRETS = {
  ghp: 'ghp_R3dact3dT0kenF0rTh3M3m0ryT3st5xYz12',
  pat: 'github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz0123456789ABCDEFGHIJKLMNOPQRS',
  bearer: 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJtZW1vcnlkIn0.c2lnbmF0dXJlLW9mLXRoZS10ZXN0',
  awsKeyId: 'AKIAIOSFODNN7EXAMPLE',
  awsSecret: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
  email: 'jane.doe@example.org',
  slack: 'xoxb-123456789012-abcdefghijkl',
  password: 'hunter2-but-longer',
} as const;

describe('Redactor.text: patterns', () => {
  const r = new Redactor();
  it.each([
    [`git push https://x:${SECRETS.ghp}@github.com/o/r`, 'git push https://[REDACTED:credentials]@github.com/o/r'],
    [`token ${SECRETS.ghp} expired`, 'token [REDACTED:github-token] expired'],
    [`GITHUB_TOKEN=${SECRETS.pat}`, 'GITHUB_TOKEN=[REDACTED:github-token]'],
    [`Authorization: Bearer ${SECRETS.bearer}`, 'Authorization: Bearer [REDACTED:credentials]'],
    [`jwt ${SECRETS.bearer}`, 'jwt [REDACTED:jwt]'],
    [`key ${SECRETS.awsKeyId} secret`, 'key [REDACTED:aws-access-key-id] secret'],
    [`aws_secret_access_key = ${SECRETS.awsSecret}`, 'aws_secret_access_key = [REDACTED:aws-secret-access-key]'],
    [`mail ${SECRETS.email} now`, 'mail [REDACTED:email] now'],
    [`slack ${SECRETS.slack}`, 'slack [REDACTED:slack-token]'],
    [`--password=${SECRETS.password} --user x`, '--password=[REDACTED] --user x'],
    ['-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----', '[REDACTED:private-key]'],
  ])('%s', (input, output) => {
    expect(r.text(input)).toBe(output);
  });

  it('leaves ordinary telemetry alone', () => {
    for (const s of ['govern.write', 'task set-status', 'dependencies-not-done', 'LM-03', '0b8e7b4e-2a6c-4c55-9d3e-8d1e7a4b0c11', 'trackers/govern-tracker.md', 'tokens=3', 'exit 1'])
      expect(r.text(s)).toBe(s);
  });
});

describe('Redactor.traces: every string of a payload, in place', () => {
  it('replaces configured keys wholly and patterns everywhere; counts the values it changed', () => {
    const r = new Redactor({ keys: ['Deploy.Secret'] });
    const d: DecodedTraces = {
      resourceSpans: [
        {
          resource: { 'service.name': 'govern', 'process.command_args': ['node', 'govern', '--token', SECRETS.ghp], 'host.name': 'ci-7' },
          scopeSpans: [
            {
              scope: { name: 'govern', version: '0.1.0' },
              spans: [
                {
                  traceId: 'a'.repeat(32),
                  spanId: 'b'.repeat(16),
                  parentSpanId: null,
                  name: `push for ${SECRETS.email}`,
                  kind: 1,
                  startNs: 1n,
                  endNs: 2n,
                  attributes: {
                    'http.request.header.authorization': `Bearer ${SECRETS.bearer}`,
                    'deploy.secret': 'plain-looking',
                    nested: { list: [`k=${SECRETS.awsKeyId}`, 3], ok: true },
                    'govern.item.id': 'LM-04',
                  },
                  events: [{ timeNs: 1n, name: 'exception', attributes: { 'exception.message': `401 for ${SECRETS.pat}` } }],
                  statusCode: 2,
                  statusMessage: `denied: ${SECRETS.slack}`,
                },
              ],
            },
          ],
        },
      ],
      spans: 1,
      rejected: 0,
      errors: [],
    };
    expect(r.traces(d)).toBe(7);
    expect(d.resourceSpans[0]).toEqual({
      resource: { 'service.name': 'govern', 'process.command_args': '[REDACTED]', 'host.name': 'ci-7' },
      scopeSpans: [
        {
          scope: { name: 'govern', version: '0.1.0' },
          spans: [
            expect.objectContaining({
              name: 'push for [REDACTED:email]',
              attributes: {
                'http.request.header.authorization': '[REDACTED]',
                'deploy.secret': '[REDACTED]',
                nested: { list: ['k=[REDACTED:aws-access-key-id]', 3], ok: true },
                'govern.item.id': 'LM-04',
              },
              events: [{ timeNs: 1n, name: 'exception', attributes: { 'exception.message': '401 for [REDACTED:github-token]' } }],
              statusMessage: 'denied: [REDACTED:slack-token]',
            }),
          ],
        },
      ],
    });
    expect([...r.keys]).toEqual([...DEFAULT_REDACT_KEYS, 'deploy.secret']);
    expect(JSON.stringify(d, (_k, v) => (typeof v === 'bigint' ? String(v) : v))).not.toMatch(new RegExp(Object.values(SECRETS).map((s) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')).join('|')));
  });
});
