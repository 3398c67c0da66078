/** The govern tool's version, recorded in evidence manifests. */
export const VERSION = '0.1.0';
