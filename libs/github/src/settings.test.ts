import os from 'node:os';
import { describe, expect, test } from 'vitest';
import { repoFromRemote, resolveSettings, webUrlFor } from './settings.js';

const nowhere = os.tmpdir(); // no git repository: no origin remote

describe('resolveSettings', () => {
  test('flags win; reviewers org/team become team reviewers; duplicates dropped', () => {
    expect(
      resolveSettings({ repo: 'acme/widgets', base: 'trunk', labels: ['a', 'a', 'b'], reviewers: ['@octocat', 'acme/core', 'octocat'], draft: true }, { GITHUB_REPOSITORY: 'x/y' }, nowhere),
    ).toEqual({
      ok: true,
      repoFrom: 'flag',
      settings: {
        owner: 'acme',
        repo: 'widgets',
        base: 'trunk',
        labels: ['a', 'b'],
        reviewers: ['octocat'],
        teamReviewers: ['core'],
        draft: true,
        apiUrl: 'https://api.github.com',
        webUrl: 'https://github.com',
      },
    });
  });

  test('GITHUB_REPOSITORY, GITHUB_API_URL and GITHUB_SERVER_URL as GitHub Actions sets them', () => {
    const r = resolveSettings({}, { GITHUB_REPOSITORY: 'acme/widgets', GITHUB_API_URL: 'https://ghe.acme.test/api/v3/', GITHUB_SERVER_URL: 'https://ghe.acme.test' }, nowhere);
    expect(r.ok && [r.repoFrom, r.settings.owner, r.settings.repo, r.settings.base, r.settings.apiUrl, r.settings.webUrl]).toEqual([
      'GITHUB_REPOSITORY',
      'acme',
      'widgets',
      'main',
      'https://ghe.acme.test/api/v3',
      'https://ghe.acme.test',
    ]);
  });

  test('problems come back as data', () => {
    expect([resolveSettings({}, {}, nowhere), resolveSettings({ repo: 'acme' }, {}, nowhere), resolveSettings({ repo: 'acme/w', base: 'bad..name' }, {}, nowhere)]).toEqual([
      { ok: false, problems: ['no repository: pass --repo owner/name (or set GITHUB_REPOSITORY, or add an origin remote on GitHub)'] },
      { ok: false, problems: ['--repo acme: expected owner/name'] },
      { ok: false, problems: ['base: not a valid branch name'] },
    ]);
  });

  test('remote URLs and web URLs', () => {
    expect(
      ['git@github.com:acme/widgets.git', 'https://github.com/acme/widgets', 'ssh://git@github.com:22/acme/widgets.git', 'https://x@ghe.test/acme/widgets.git/', 'not a url'].map(repoFromRemote),
    ).toEqual(['acme/widgets', 'acme/widgets', 'acme/widgets', 'acme/widgets', null]);
    expect(['https://api.github.com', 'https://ghe.test/api/v3', 'http://127.0.0.1:9999'].map(webUrlFor)).toEqual(['https://github.com', 'https://ghe.test', 'https://github.com']);
  });
});
