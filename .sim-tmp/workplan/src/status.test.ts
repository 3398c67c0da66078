import { describe, expect, test } from 'vitest';
import { compileProfile, DEFAULT_PROFILE, mergeProfiles, ProfileSchema } from './profile.js';
import { normalizeStatus, priorityRank } from './status.js';
import { parseDocument } from './parse.js';

const P = compileProfile(DEFAULT_PROFILE);

describe('normalizeStatus with the default profile', () => {
  test.each([
    ['Done (#27)', { status: 'done', refs: ['#27'] }],
    ['Done (#27, #28)', { status: 'done', refs: ['#27', '#28'] }],
    ['done', { status: 'done', refs: [] }],
    ['finished', { status: 'done', refs: [] }],
    ['COMPLETE', { status: 'done', refs: [] }],
    ['Completed 2026-01-23', { status: 'done', refs: [] }],
    ['Completed 2026-01-23.', { status: 'done', refs: [] }],
    ['Done — shipped in v2', { status: 'done', refs: [] }],
    ['**Done**', { status: 'done', refs: [] }],
    ['`done`', { status: 'done', refs: [] }],
    ['[x]', { status: 'done', refs: [] }],
    ['[X]', { status: 'done', refs: [] }],
    ['✅', { status: 'done', refs: [] }],
    ['Planned', { status: 'planned', refs: [] }],
    ['[ ]', { status: 'planned', refs: [] }],
    ['not started', { status: 'planned', refs: [] }],
    ['Partial', { status: 'partial', refs: [] }],
    ['Partially done', { status: 'partial', refs: [] }],
    ['in_progress', { status: 'in_progress', refs: [] }],
    ['In Progress', { status: 'in_progress', refs: [] }],
    ['in-progress', { status: 'in_progress', refs: [] }],
    ['WIP', { status: 'in_progress', refs: [] }],
    ['on hold', { status: 'blocked', refs: [] }],
    ['On_Hold', { status: 'blocked', refs: [] }],
    ['Blocked (#44)', { status: 'blocked', refs: ['#44'] }],
  ] as const)('%j → %j', (raw, expected) => {
    expect(normalizeStatus(raw, P)).toEqual(expected);
  });

  test.each([
    ['someday maybe'],
    ['TBD'],
    [''],
    ['   '],
    ['doneish'],
    ['undone'],
    ['Completely unclear'],
    ['not done'],
  ])('%j is not recognized (status null, never guessed)', (raw) => {
    expect(normalizeStatus(raw, P).status).toBeNull();
  });

  test('unknown text keeps its issue refs', () => {
    expect(normalizeStatus('Someday (#9)', P)).toEqual({ status: null, refs: ['#9'] });
  });
});

describe('profiles extend the status vocabulary', () => {
  const team = ProfileSchema.parse({
    name: 'team',
    extends: 'default',
    statuses: {
      done: ['shipped-to-prod', 'landed'],
      blocked: ['/^parked/'],
      partial: ['/^done but\\b/'],
      // These two spellings mean something else in the default profile.
      in_progress: ['draft'],
      planned: ['review'],
    },
  });
  const merged = compileProfile(mergeProfiles(DEFAULT_PROFILE, team));

  test('the merged profile keeps the base rules', () => {
    expect(normalizeStatus('Done (#27)', merged)).toEqual({ status: 'done', refs: ['#27'] });
    expect(normalizeStatus('on hold', merged).status).toBe('blocked');
  });

  test('added phrases match (spacing and case insensitive)', () => {
    expect(normalizeStatus('shipped-to-prod', merged).status).toBe('done');
    expect(normalizeStatus('Shipped to prod', merged).status).toBe('done');
    expect(normalizeStatus('Landed', merged).status).toBe('done');
    expect(normalizeStatus('Landed', P).status).toBeNull();
  });

  test('a `/regex/` rule matches the whole status text, case-insensitively', () => {
    expect(normalizeStatus('Parked until Q3', merged).status).toBe('blocked');
    expect(normalizeStatus('parked', merged).status).toBe('blocked');
    expect(normalizeStatus('Parked until Q3', P).status).toBeNull();
  });

  test('a regex rule of the profile wins over a base phrase', () => {
    expect(normalizeStatus('Done but docs missing', P).status).toBe('done');
    expect(normalizeStatus('Done but docs missing', merged).status).toBe('partial');
  });

  test('a phrase of the profile wins over the same phrase in the base, whatever the two statuses are', () => {
    expect(normalizeStatus('review', P).status).toBe('in_progress');
    expect(normalizeStatus('draft', P).status).toBe('planned');
    expect(normalizeStatus('review', merged).status).toBe('planned');
    expect(normalizeStatus('draft', merged).status).toBe('in_progress');
  });

  test('a profile rule reaches the parser: the task status is read with the merged profile', () => {
    const text = ['---', 'id: WP-1', 'type: workplan', 'status: shipped-to-prod', '---', '', '## T01 - A', '', 'status: Parked until Q3', ''].join('\n');
    const withTeam = parseDocument({ file: 'wp.md', text }, merged);
    expect(withTeam.diagnostics).toEqual([expect.objectContaining({ code: 'id-derived' })]);
    expect(withTeam.document?.items.map((i) => [i.id, i.status, i.statusText])).toEqual([
      ['WP-1', 'done', 'shipped-to-prod'],
      ['WP-1-T01', 'blocked', 'Parked until Q3'],
    ]);
    const withDefault = parseDocument({ file: 'wp.md', text }, P);
    expect(withDefault.diagnostics.map((d) => d.code)).toEqual(['id-derived', 'status-unrecognized']);
  });
});

describe('priorityRank', () => {
  test.each([
    ['P0', 0],
    ['critical', 0],
    ['p1', 1],
    ['High', 1],
    ['medium', 2],
    [' low ', 3],
    ['P4', 4],
  ])('%j ranks %i', (p, rank) => {
    expect(priorityRank(p, P)).toBe(rank);
  });

  test('unknown priorities sort after known ones, missing ones last', () => {
    expect(priorityRank('whenever', P)).toBe(Number.MAX_SAFE_INTEGER - 1);
    expect(priorityRank(null, P)).toBe(Number.MAX_SAFE_INTEGER);
    expect(priorityRank('', P)).toBe(Number.MAX_SAFE_INTEGER);
  });
});
