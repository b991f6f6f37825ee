import { defineConfig } from 'vite'
import { ISOLATION_HEADERS, mnistServer } from './vite/plugins'

export default defineConfig({
  plugins: [mnistServer()],
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  worker: { format: 'es' },
  // tfjs-core + tfjs-layers make the page's chunk ~630 kB, the worker's ~1 MB: expected, not a problem to flag.
  build: { target: 'es2022', chunkSizeWarningLimit: 1200 },
})
