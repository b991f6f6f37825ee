import { defineConfig } from 'vite'
import { ISOLATION_HEADERS, mnistServer } from './vite/plugins'

export default defineConfig({
  plugins: [mnistServer()],
  server: { headers: ISOLATION_HEADERS },
  preview: { headers: ISOLATION_HEADERS },
  worker: { format: 'es' },
  build: { target: 'es2022' },
})
