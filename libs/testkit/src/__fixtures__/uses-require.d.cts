/** The length of the platform's end of line, computed through `require('node:os')`. */
export declare const eolLength: number;
