// The backends and simd settings tfjs-core's op test suite runs on (scripts/tfjs-core-suite.mjs). One process each.
import type { SimdBuild } from '../../src/flags'

export interface SuiteMode {
  name: string
  backend: 'cpu' | 'simd'
  build?: SimdBuild
  threads?: number
  sharedMemory?: boolean
  /** 0 splits every kernel over the threads, so the threaded paths run on the suite's small tensors. */
  parallelThreshold?: number
  /** Only the specs whose full name contains one of these (the suites of ops with a wasm kernel); all when absent. */
  subset?: boolean
}

export const SUITE_MODES: SuiteMode[] = [
  { name: 'cpu', backend: 'cpu' },
  { name: 'simd-1t', backend: 'simd', build: 'simd', threads: 1 },
  { name: 'simd-2t-split', backend: 'simd', build: 'simd', threads: 2, parallelThreshold: 0 },
  {
    name: 'relaxed-simd-2t-split',
    backend: 'simd',
    build: 'relaxed-simd',
    threads: 2,
    parallelThreshold: 0,
    subset: true,
  },
  { name: 'scalar-2t-split', backend: 'simd', build: 'scalar', threads: 2, parallelThreshold: 0, subset: true },
  { name: 'simd-unshared', backend: 'simd', build: 'simd', sharedMemory: false, subset: true },
]

/** Suites that tfjs-core restricts to the backend named 'cpu' (a describeWithFlags predicate): never run on simd. */
export const CPU_ONLY_SUITES = [
  // engine_test.js: registers copies of the 'cpu' factory as cpu1/cpu2 and moves data between them.
  'Switching cpu backends <env> {}',
]
