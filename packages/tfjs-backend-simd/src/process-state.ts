// One backend per process. A process may load both builds of this package (dist/index.js through `import`,
// dist/index.cjs through `require`, common with mixed dependencies); tfjs-core keeps its engine and registries in a
// global, so both copies see the same 'simd' backend, and they must also agree on what this package keeps itself:
// whether the kernels are registered, the thread count, the installed gradients and the last load failure. That state
// lives here, under a global symbol; its version changes whenever its shape or the backend's internals change.
import type { GradConfig } from '@tensorflow/tfjs-core'

export interface SharedState {
  /** The 'simd' kernels are registered (by whichever copy was imported first). */
  kernelsRegistered: boolean
  threadsCount: number | undefined
  threadListeners: Set<(n: number) => void>
  /** The gradient configs installed over tfjs's, by kernel name. */
  gradients: Map<string, GradConfig>
  /** Why the last attempt to start the backend failed; undefined once one succeeds. */
  loadError: Error | undefined
}

/** Also the brand of SimdBackend instances (see SimdBackend[Symbol.hasInstance]). */
export const SHARED_KEY: unique symbol = Symbol.for('@mnist/backend-simd@1') as never

const g = globalThis as { [SHARED_KEY]?: SharedState }
export const shared: SharedState = (g[SHARED_KEY] ??= {
  kernelsRegistered: false,
  threadsCount: undefined,
  threadListeners: new Set(),
  gradients: new Map(),
  loadError: undefined,
})
