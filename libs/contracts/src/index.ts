/**
 * @govern/contracts — the one owner of the reason-semantics, TaskSpec, wrapper
 * envelope and guard/transition contracts (seed 002 K0): versioned zod schemas,
 * canonical JSON, and the pins consumers check.
 */
export * from './schemas.js';
export { canonicalJson } from './canonical.js';
