import { CONFIG_FILE, loadConfig, loadWorkspace } from '@govern/workspace';
import { GateConfigError, GateDisabledError, UnknownGateError } from './errors.js';
import { evaluateGates } from './evaluate.js';
import type { GateState } from './model.js';

export interface GuardOptions {
  /** The repository root holding `govern.config.yaml`, `workplans/` and `trackers/`. */
  root: string;
  /** Parse cache directory; `null` disables it. Default `<root>/.govern/cache`. */
  cacheDir?: string | null;
}

/**
 * The current state of one gate, read from the repository's documents now.
 * Throws `UnknownGateError` for an undeclared name and `GateConfigError` when
 * `govern.config.yaml` has errors (a broken config never enables anything).
 */
export async function gateState(name: string, opts: GuardOptions): Promise<GateState> {
  // No in-process memo: a status written by another process must be seen by the next
  // call. The workspace's persistent parse cache keeps a re-read to stat calls.
  const ws = await loadWorkspace({ root: opts.root, ...(opts.cacheDir !== undefined ? { cacheDir: opts.cacheDir } : {}) });
  const configErrors = ws.diagnostics.filter((d) => d.file === CONFIG_FILE && d.severity === 'error');
  if (configErrors.length) throw new GateConfigError(name, configErrors);
  const gates = evaluateGates(ws).value;
  const state = gates.find((g) => g.name === name);
  if (!state) throw new UnknownGateError(name, gates.map((g) => g.name));
  return state;
}

/**
 * The runtime guard every gated library calls at its entry points: resolves with the
 * gate's state when it is enabled, throws `GateDisabledError` (naming the blocking
 * milestone, its status and where it is written) when it is not.
 */
export async function assertEnabled(name: string, opts: GuardOptions): Promise<GateState> {
  const state = await gateState(name, opts);
  if (!state.enabled) throw new GateDisabledError(state);
  return state;
}

/**
 * The guard for product entry points that also run in other repositories
 * (`govern statehub …`, the memory tools): a root whose govern.config.yaml
 * declares no gate of this name is not governed by one (resolves `null`); a
 * declared gate is asserted; a broken config fails closed, as in
 * {@link assertEnabled}. Reading only the config first keeps the ungated case
 * to one small file read.
 */
export async function assertEnabledWhereDeclared(name: string, opts: GuardOptions): Promise<GateState | null> {
  const { config, diagnostics } = loadConfig(opts.root);
  const broken = diagnostics.some((d) => d.file === CONFIG_FILE && d.severity === 'error');
  if (!config.gates?.[name] && !broken) return null;
  return assertEnabled(name, opts);
}
