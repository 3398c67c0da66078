/** Types for the deterministic corpus generator (used by the differential parser test). */
export declare const GENERATOR_VERSION: number;
export declare const MANIFEST: string;
export declare function makeDocument(n: number): { rel: string; text: string };
export declare function generateCorpus(outDir: string, count: number): unknown;
export declare function readManifest(outDir: string): unknown;
export declare function mulberry32(seed: number): () => number;
