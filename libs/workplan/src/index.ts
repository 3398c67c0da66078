/**
 * @govern/workplan — the document model and the parser for trackers, workplans
 * and plans. Pure: it reads the text it is given and does no I/O.
 */
export * from './model.js';
export { DiagnosticSink, compareDiagnostics, cmp } from './diagnostics.js';
export { ProfileSchema, DEFAULT_PROFILE, compileProfile, mergeProfiles, canonicalPhrase } from './profile.js';
export type { Profile, ProfileInput, CompiledProfile } from './profile.js';
export { normalizeStatus, priorityRank } from './status.js';
export { parseDocument, detectFamily, classifyDocument, PARSER_VERSION } from './parse.js';
export type { SourceFile, ParseOptions } from './parse.js';
export type { Classification, FamilyRule } from './explain-notes.js';
export { fileNameId, pathId, pathDocumentIds } from './ids.js';
export {
  explainDocument,
  ExplanationSchema,
  ExplainedItemSchema,
  FamilySignalSchema,
  ReadBlockSchema,
  SkippedSchema,
  SKIP_CODES,
  TableRolesSchema,
} from './explain.js';
export type { Explanation, ExplainedItem, ReadBlock, Skipped, TableRoles } from './explain.js';
export { blocksFast } from './fast-blocks.js';
export { blocksFromMarkdown } from './markdown.js';
export type { Block } from './blocks.js';
