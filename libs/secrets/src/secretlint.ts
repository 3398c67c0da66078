import { lintSource } from '@secretlint/core';
import { creator as recommended } from '@secretlint/secretlint-rule-preset-recommend';

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

const CONFIG = { rules: [{ id: '@secretlint/secretlint-rule-preset-recommend', rule: recommended }] };

export async function secretlintHits(text: string): Promise<SecretlintHit[]> {
  const result = await lintSource({
    source: { filePath: 'text', content: text, contentType: 'text' },
    options: { config: CONFIG, maskSecrets: true },
  });
  return result.messages
    .filter((m) => Array.isArray(m.range) && m.ruleId !== '@secretlint/secretlint-rule-basicauth')
    .map((m) => ({ rule: m.ruleId.replace(/^@secretlint\/secretlint-rule-/, ''), start: m.range[0], end: m.range[1] }));
}
