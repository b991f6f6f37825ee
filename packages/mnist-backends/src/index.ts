// Public surface of @mnist/backends for browsers and other non-Node runtimes (the package's default entry).
// Re-exports only. Nothing here imports a Node built-in; Node gets ./node.ts through the "node" export condition.
export { BACKEND_ORDER, listBackends, selectBackend } from './browser'
export * from './shared-exports'
