// Public surface of @mnist/data in browsers and Web Workers (the `browser` and `default` conditions of `exports`).
// Re-exports only. Nothing here (or imported from here) touches node:*: loadMnist is fetchMnist (HTTP, in memory, no
// cache), and IDX is read with readIdx (DecompressionStream, crypto.subtle). parseIdx, gunzipBytes and defaultCacheDir
// are Node-only.
export * from './shared-exports'
export { fetchMnist as loadMnist } from './fetch-mnist'

export type { FetchMnistOptions as LoadMnistOptions } from './fetch-mnist'
