import {
  adapterDenial,
  adapterFailure,
  definePack,
  denyWrites,
  FAILURE_REASONS,
  parseRecord,
  POLICY_REASONS,
  StateHubPutSchema,
  type PackContext,
  type StateHubCapability,
} from '@govern/adapter-kit';
import { StateHubClient, StateHubError, type HubStatus } from '@govern/statehub';
import { z } from 'zod';

const NAME = 'statehub';
/** Recorded as the actor of every change this pack makes (the change feed's `actor`). */
const ACTOR = 'govern-adapter-statehub';

/** The pack's options: the StateHub's URL and the one repository whose records it writes. The token is a secret (`token`), never an option. */
export const StateHubOptionsSchema = z
  .object({
    url: z.url(),
    repo: z.string().min(1).regex(/^[^:]+$/, 'no ":" in a repo name (keys are <repo>:<itemId>)'),
    timeoutMs: z.int().positive().optional(),
  })
  .strict();
export type StateHubOptions = z.infer<typeof StateHubOptionsSchema>;

/** The StateHub pack's compatibility manifest: it writes the configured repository's records and nothing local. */
export const STATEHUB_MANIFEST = {
  schema: 'govern.adapter-manifest/v1',
  name: NAME,
  package: '@govern/adapter-statehub',
  version: '0.1.0',
  description: "the statehub capability over the StateHub HTTP API (@govern/statehub's client): one repository's workstreams and tasks, status changes at a version, the change feed",
  capabilities: ['statehub'],
  durability: 'persistent',
  // The versions this pack was written against, as literals: a build whose contracts moved to another major
  // fails the pack's contract subcheck until someone reviews the pack and raises them.
  contracts: [
    { name: '@govern/contracts', version: '1.0.0' },
    { name: 'govern-adapter-capabilities', version: '1.0.0' },
  ],
  ownership: { paths: [], tables: [], remote: ['statehub:{repo}:workstream/*', 'statehub:{repo}:task/*'] },
  conformance: ['govern-conformance/1'],
  gate: 'adapter-statehub',
} as const;

/**
 * A StateHub refusal under the reason split. 401 is a denial (the hub's access
 * policy said no); a stale version, a taken id, a missing record, an answer the
 * schema rejects and an unreachable hub are failures. The hub's message is kept
 * (it never holds the token: the client sends it in a header only).
 */
function fromStateHub(err: unknown, what: string): unknown {
  if (!(err instanceof StateHubError)) return err;
  // The record as the hub has it now, on a version conflict: a caller re-decides against it (govern statehub sync does).
  const details = { operation: what, status: err.status, statehub_code: err.code, ...(err.current ? { current: err.current } : {}) };
  const message = `StateHub: ${what}: ${err.message}`;
  switch (err.code) {
    case 'unauthorized':
      return adapterDenial(POLICY_REASONS.unauthorized, message, details);
    case 'version-conflict':
    case 'id-taken':
    case 'id-mismatch':
      return adapterFailure(FAILURE_REASONS.conflict, message, details);
    case 'not-found':
      return adapterFailure(FAILURE_REASONS.notFound, message, details);
    case 'bad-request':
    case 'unprocessable':
      return adapterFailure(FAILURE_REASONS.recordInvalid, message, details);
    case 'unreachable':
      return adapterFailure(FAILURE_REASONS.remoteUnreachable, message, details);
    case 'bad-response':
      return adapterFailure(FAILURE_REASONS.remoteBadResponse, message, details);
    case 'invalid-url':
      return adapterFailure(FAILURE_REASONS.optionsInvalid, message, details);
    default:
      return adapterFailure(FAILURE_REASONS.remoteRejected, message, details);
  }
}

async function call<T>(what: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (err) {
    throw fromStateHub(err, what);
  }
}

function capability(ctx: PackContext<StateHubOptions>, client: StateHubClient): StateHubCapability {
  const { repo } = ctx.options;
  return {
    health: () => call('health', () => client.health()),
    put: (kind, input) =>
      call(`put a ${kind}`, async () => {
        denyWrites(ctx, NAME, `put a ${kind}`);
        const p = parseRecord(StateHubPutSchema, input, `StateHub ${kind}`);
        if (p.repo !== repo) throw adapterDenial(POLICY_REASONS.outsideBoundary, `${NAME} writes the records of ${repo} only, not of ${p.repo}`, { repo: p.repo, configured: repo });
        const body = { repo, itemId: p.itemId, title: p.title, priority: p.priority, dependsOn: p.dependsOn, status: p.status as HubStatus, ...(p.id ? { id: p.id } : {}), actor: ACTOR };
        const key = `${repo}:${p.itemId}`;
        if (kind === 'workstream') return client.putByKey('workstream', key, body);
        if (!p.workstreamItemId) throw adapterFailure(FAILURE_REASONS.recordInvalid, 'a task needs workstreamItemId (the itemId of its workstream)', {});
        return client.putByKey('task', key, { ...body, workstreamKey: `${repo}:${p.workstreamItemId}` });
      }),
    get: (kind, id) =>
      call(`get a ${kind}`, async () => {
        try {
          const r = await client.get(kind, id);
          // A record of another repository is not this pack's to show.
          return r.repo === repo ? r : null;
        } catch (err) {
          if (err instanceof StateHubError && err.code === 'not-found') return null;
          throw err;
        }
      }),
    list: (kind) => call(`list ${kind}s`, () => client.list(kind, repo)),
    setStatus: (kind, id, change) =>
      call(`set the status of ${kind} ${id}`, async () => {
        denyWrites(ctx, NAME, `set the status of ${kind} ${id}`);
        return client.setStatus(kind, id, { status: change.status as HubStatus, ifVersion: change.ifVersion, actor: ACTOR });
      }),
    changes: (since = 0) =>
      call('read the change feed', async () => {
        // The feed is the hub's; the pack's view of it is its repository's changes.
        const page = await client.changes(since);
        return { ...page, changes: page.changes.filter((c) => c.repo === repo) };
      }),
  };
}

/** The StateHub pack. */
export const statehubPack = definePack({
  manifest: STATEHUB_MANIFEST,
  module: import.meta.url,
  options: StateHubOptionsSchema,
  create: (ctx) => {
    let client: StateHubClient;
    try {
      client = new StateHubClient({ url: ctx.options.url, ...(ctx.secrets.token ? { token: ctx.secrets.token } : {}), ...(ctx.options.timeoutMs ? { timeoutMs: ctx.options.timeoutMs } : {}) });
    } catch (err) {
      throw fromStateHub(err, 'connect');
    }
    return { capabilities: { statehub: capability(ctx, client) }, close: async () => {} };
  },
});
