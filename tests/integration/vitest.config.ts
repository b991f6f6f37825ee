import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Child processes train, evaluate and get killed on purpose; on 2 busy cores that takes well over 5 s a test.
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // Each file spawns CLI processes that use both cores: two files at a time is enough.
    maxWorkers: 2,
  },
})
