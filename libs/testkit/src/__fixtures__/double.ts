/** Twice `n`: the one export index.test.ts's bundles inline from this file. */
export const double = (n: number): number => n * 2;
