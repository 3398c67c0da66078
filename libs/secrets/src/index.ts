/**
 * @govern/secrets — finding and redacting secrets in text, so none reaches check logs,
 * evidence, closure PRs or records: secretlint's recommended preset, memoryd's token
 * shapes, and the values of secret-named environment variables.
 */
export { findSecrets, redactSecrets, knownSecretsFromEnv, isSecretName, TOKEN_RULES } from './secrets.js';
export type { SecretFinding, KnownSecret, ScanOptions, TokenRule } from './secrets.js';
