import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    setupFiles: ['./test/setup.ts'],
    // CI runs every package's suite at once on 2 cores.
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
})
