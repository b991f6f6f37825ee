// Public surface of @mnist/data in Node. Re-exports only: no logic, no side effects. Browsers get ./browser.ts.
export * from './shared-exports'
export { parseIdx, gunzipBytes } from './idx'
export { loadMnist } from './load'
export { defaultCacheDir } from './cache'

export type { LoadMnistOptions } from './load'
export type { LockWait } from './cache'
