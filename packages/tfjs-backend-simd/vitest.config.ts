import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Node 20 validates relaxed-SIMD modules only behind this flag; with it, the relaxed build is tested too.
    execArgv: ['--experimental-wasm-relaxed-simd'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
