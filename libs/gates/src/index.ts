/**
 * @govern/gates — which libraries and capabilities the milestone graph enables.
 * `evaluateGates`/`isEnabled` are pure; `assertEnabled` is the runtime guard gated
 * code calls at its entry points; `createGateNodes` is the Nx plugin's logic.
 */
export { evaluateGates, isEnabled } from './evaluate.js';
export type { GateInput } from './evaluate.js';
export { GateReportSchema, GateStateSchema, RequirementSchema } from './model.js';
export type { GateConfig, GateReport, GateState, Requirement } from './model.js';
export { assertEnabled, assertEnabledWhereDeclared, gateState } from './guard.js';
export type { GuardOptions } from './guard.js';
export { GateConfigError, GateDisabledError, GateError, UnknownGateError, isGateError } from './errors.js';
export type { GateBlocker } from './errors.js';
export { describeRequirement, explainGate, gateSummary } from './explain.js';
export { gateReport } from './report.js';
export { GATE_FILES_GLOB, GOVERN_COMMAND, createGateNodes } from './nx.js';
export type { GatedProject, GateTarget, GateNodesContext, GateNodesDeps, GateNodesResult } from './nx.js';
