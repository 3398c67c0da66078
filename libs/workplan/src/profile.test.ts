import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { canonicalPhrase, compileProfile, DEFAULT_PROFILE, mergeProfiles, ProfileSchema } from './profile.js';

describe('profiles', () => {
  test('profiles/default.yaml mirrors the built-in DEFAULT_PROFILE (its header promises a test keeps them equal)', () => {
    const yamlText = readFileSync(new URL('../../../profiles/default.yaml', import.meta.url), 'utf8');
    expect(ProfileSchema.parse(parseYaml(yamlText))).toEqual(DEFAULT_PROFILE);
  });

  test('ProfileSchema fills defaults for a minimal profile', () => {
    expect(ProfileSchema.parse({})).toEqual({
      checks: {},
      name: 'custom',
      statuses: {},
      priorities: [],
      planHeadings: [],
      taskHeadings: [],
      criteriaLabels: [],
      lifecycle: {},
      github: {},
    });
  });

  test('mergeProfiles puts the profile rules in front of the base rules and keeps the base priorities when none are given', () => {
    const over = ProfileSchema.parse({
      name: 'team',
      statuses: { done: ['landed'] },
      planHeadings: ['^Sprint (?<id>[0-9]+)$'],
      criteriaLabels: ['ready when'],
      lifecycle: { closureRequired: [] },
      github: { labels: ['governance'] },
    });
    const merged = mergeProfiles(DEFAULT_PROFILE, over);
    expect(merged).toEqual({
      checks: {},
      name: 'team',
      statuses: {
        ...DEFAULT_PROFILE.statuses,
        done: ['landed', ...(DEFAULT_PROFILE.statuses.done ?? [])],
      },
      priorities: DEFAULT_PROFILE.priorities,
      planHeadings: ['^Sprint (?<id>[0-9]+)$', ...DEFAULT_PROFILE.planHeadings],
      taskHeadings: DEFAULT_PROFILE.taskHeadings,
      criteriaLabels: ['ready when', ...DEFAULT_PROFILE.criteriaLabels],
      listItemIds: DEFAULT_PROFILE.listItemIds,
      nonItemSections: DEFAULT_PROFILE.nonItemSections,
      tableColumns: DEFAULT_PROFILE.tableColumns,
      proposals: DEFAULT_PROFILE.proposals,
      // Lifecycle fields the profile gives replace the base's; the others are inherited.
      lifecycle: { ...DEFAULT_PROFILE.lifecycle, closureRequired: [] },
      github: { labels: ['governance'] },
    });
  });

  test("a profile's proposal sections, history, stage sections and stages are added in front of the base's", () => {
    const over = ProfileSchema.parse({ proposals: { sections: ['rationale'], stages: ['preview'] } });
    expect(mergeProfiles(DEFAULT_PROFILE, over).proposals).toEqual({
      sections: ['rationale', ...(DEFAULT_PROFILE.proposals?.sections ?? [])],
      history: DEFAULT_PROFILE.proposals?.history,
      stageSections: DEFAULT_PROFILE.proposals?.stageSections,
      stages: ['preview', ...(DEFAULT_PROFILE.proposals?.stages ?? [])],
    });
  });

  test('a profile with its own priorities replaces the base ranking', () => {
    const over = ProfileSchema.parse({ priorities: [['must'], ['should'], ['could']] });
    const c = compileProfile(mergeProfiles(DEFAULT_PROFILE, over));
    expect([...c.priorityRank.entries()]).toEqual([
      ['must', 0],
      ['should', 1],
      ['could', 2],
    ]);
  });

  test('canonicalPhrase lowercases and unifies `_`, `-` and whitespace runs', () => {
    expect(canonicalPhrase('  In__Progress -- Now ')).toBe('in progress now');
  });

  test('compileProfile lowercases criteria labels and makes `/regex/` statuses case-insensitive', () => {
    const c = compileProfile(ProfileSchema.parse({ statuses: { blocked: ['/^Parked/'] }, criteriaLabels: ['Ready When'] }));
    expect(c.criteriaLabels).toEqual(new Set(['ready when']));
    expect(c.statusRegexes.map((r) => [r.re.source, r.re.flags, r.status])).toEqual([['^Parked', 'i', 'blocked']]);
  });
});
