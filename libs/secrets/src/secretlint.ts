import { lintSource } from '@secretlint/core';
import { rules as recommendedRules } from '@secretlint/secretlint-rule-preset-recommend';

/**
 * The one file that talks to secretlint (its recommended preset: GitHub, GitLab, npm,
 * Slack, AWS, GCP, Azure, OpenAI, Anthropic, private keys, basic auth in URLs, …).
 *
 * Quirks this wrapper exists for:
 * - `lintSource` is async and wants a `filePath`; it is only used in messages, so a
 *   fixed name is passed and nothing touches the filesystem.
 * - Each message's `message` text contains the secret itself. Only the rule id and the
 *   character range leave this file.
 * - The AWS rule skips AWS's documented example keys (`…EXAMPLE…`); tests use keys of
 *   other letters.
 * - Ranges are UTF-16 offsets into the string given, as JavaScript indexes are.
 * - Its basic-auth rule marks the whole URL (host and path too); our `url-credentials`
 *   rule marks only `user:password`, so a redacted log still says where it connected.
 */
export interface SecretlintHit {
  rule: string;
  start: number;
  end: number;
}

// The preset includes the comment filter, which honours `secretlint-disable` (and
// `-line`, `-next-line`, `-enable`) anywhere in the text. The text screened here is what
// a user, an agent or a wrapped command wrote (logs, evidence, envelopes joined into one
// text), so such a comment would let that content switch the screening off for itself and
// for whatever it was joined with. The preset's rules are registered one by one without
// it: secretlint 13's core ignores `disabled` on a rule inside a preset.
const COMMENT_FILTER = '@secretlint/secretlint-rule-filter-comments';
const CONFIG = { rules: recommendedRules.filter((rule) => rule.meta.id !== COMMENT_FILTER).map((rule) => ({ id: rule.meta.id, rule })) };

export async function secretlintHits(text: string): Promise<SecretlintHit[]> {
  const result = await lintSource({
    source: { filePath: 'text', content: text, contentType: 'text' },
    options: { config: CONFIG, maskSecrets: true },
  });
  return result.messages
    .filter((m) => Array.isArray(m.range) && m.ruleId !== '@secretlint/secretlint-rule-basicauth')
    .map((m) => ({ rule: m.ruleId.replace(/^@secretlint\/secretlint-rule-/, ''), start: m.range[0], end: m.range[1] }));
}
