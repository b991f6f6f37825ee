import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file trains real (small) models; two at a time keeps a 2-core machine responsive.
    maxWorkers: 2,
  },
})
