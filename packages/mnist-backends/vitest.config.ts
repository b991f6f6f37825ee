import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Backends start WebAssembly runtimes and a Dawn child process; two files at a time keep 2 cores responsive.
    maxWorkers: 2,
  },
})
