import { defineConfig } from 'vitest/config'

export default defineConfig({
  test: {
    // Installs, four bundlers and Chromium: minutes on 2 busy cores, all in one file.
    testTimeout: 90_000,
    hookTimeout: 300_000,
  },
})
