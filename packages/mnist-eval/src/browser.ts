// Public surface of @mnist/eval for browsers (the "browser" export condition): everything of ./index.ts except the
// report, PNG and picture writers, which need Node (the file system, zlib streams, a bundled font). Re-exports only.
export * from './shared-exports'
