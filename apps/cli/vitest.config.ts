import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // CI runs every package's suite at once on 2 cores: local servers and child processes need more than 5 s there.
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
})
