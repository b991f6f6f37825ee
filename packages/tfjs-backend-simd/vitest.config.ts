import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // No V8 flags: Node 22+ has relaxed SIMD on by default (and refuses --experimental-wasm-relaxed-simd, so a worker
    // started with it would never come up), and on Node 20 simdFeatures() turns the flag on at run time, the path
    // users take, which the feature-detection test covers.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
