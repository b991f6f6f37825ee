// Public surface of @mnist/train in Node. Re-exports only: no logic, no side effects. Browsers get ./browser.ts
// (the "browser" export condition): the same minus what needs Node (data loading, run folders, checkpoint files).
export { train } from './node-train'
export { defaultOutDir } from './run-dir'
export { runtimeVersions } from './versions'
export { readCheckpoint } from './checkpoint'
export { OPTIMIZER_FILE, TRAINING_STATE_FILE } from './checkpoint-format'
export * from './shared-exports'
