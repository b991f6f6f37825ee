/**
 * The wasm builds of wasm-out/, embedded at build time by scripts/embed-wasm.mjs into `_wasm/*.js` (generated, not
 * committed): by file name (`simd-shared.wasm`), a lazy import of a module whose default export is the file's bytes
 * in base64.
 */
export declare const wasmModules: Readonly<Record<string, () => Promise<{ default: string }>>>
