import { parentPort, workerData } from 'node:worker_threads';
import { compileProfile, type ParseOptions, type Profile } from '@govern/workplan';
import { readAndParse } from './parse-files.js';

/**
 * Worker entry for parallel cold parses. The CLI bundles it next to its main
 * file; the root and profile come in workerData, file batches as messages.
 */
const { root, profile, options, pathIds } = workerData as { root: string; profile: Profile; options: ParseOptions; pathIds: Record<string, string> };
const compiled = compileProfile(profile);
parentPort?.on('message', (files: string[]) => {
  parentPort?.postMessage(files.map((f) => readAndParse(root, f, compiled, options, pathIds[f])));
});
