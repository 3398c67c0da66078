/**
 * What `govern memory` needs of @govern/memory-store at run time, behind one module
 * that commands/memory.ts imports dynamically: the library then loads only when a
 * memory command runs (esbuild splits this into its own chunk), not on every
 * command's start-up, while the MCP tools and tests keep importing the library
 * statically (the module-boundary rule forbids a library being both).
 */
export { MemoryApiError, MemoryClient } from '@govern/memory-store';
