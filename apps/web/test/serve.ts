// Build the app into a temp folder and serve it with `vite preview` (COOP/COEP, MNIST_DATA_DIR at /mnist/).
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { build, preview, type PreviewServer } from 'vite'

const root = join(dirname(fileURLToPath(import.meta.url)), '..')

export interface Served {
  url: string
  close(): Promise<void>
}

export async function buildAndServe(): Promise<Served> {
  const outDir = mkdtempSync(join(tmpdir(), 'mnist-web-'))
  await build({ root, logLevel: 'error', build: { outDir, emptyOutDir: true } })
  const server: PreviewServer = await preview({
    root,
    logLevel: 'warn',
    build: { outDir },
    preview: { host: '127.0.0.1', port: 0, strictPort: false },
  })
  const url = server.resolvedUrls?.local[0]
  if (!url) throw new TypeError('vite preview did not report a URL')
  return { url, close: () => server.close() }
}
