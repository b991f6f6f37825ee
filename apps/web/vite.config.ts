import { defineConfig } from 'vite'
import { ISOLATION_HEADERS, mnistServer } from './vite/plugins'

export default defineConfig({
  plugins: [mnistServer()],
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  worker: { format: 'es' },
  // The dev server's dependency scan also crawls the worker, so that its imports are optimised before the first
  // training run instead of reloading the page in the middle of it.
  optimizeDeps: { entries: ['index.html', 'src/worker/train.worker.ts'] },
  // tfjs-core + tfjs-layers make the page's chunk ~630 kB, the worker's ~1 MB: expected, not a problem to flag.
  build: { target: 'es2022', chunkSizeWarningLimit: 1200 },
})
