// Public surface of @mnist/train for browsers and Web Workers (the "browser" export condition, and
// `@mnist/train/browser`). Re-exports only. Nothing here imports a Node built-in, @mnist/data's Node entry or
// @mnist/backends' Node entry; Node gets ./index.ts.
export { train } from './browser-train'
export * from './shared-exports'
