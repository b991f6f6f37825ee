// A small static server: the consumer folder (builds under out/, node_modules for the import map), COOP/COEP for
// `?coi=1` pages, and the app's page for any path it does not have (as single-page-app hosts and dev servers do).
import { createReadStream, statSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { extname, join, normalize } from 'node:path'
import { ISOLATION_HEADERS } from './bundlers'

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.mjs': 'text/javascript',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.map': 'application/json',
  '.css': 'text/css',
}
const FALLBACK = '<!doctype html><html><body>the app</body></html>'

export async function serve(root: string): Promise<{ origin: string; close: () => Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    if (url.search.includes('coi=1')) for (const [k, v] of Object.entries(ISOLATION_HEADERS)) res.setHeader(k, v)
    let file = normalize(join(root, decodeURIComponent(url.pathname)))
    if (!file.startsWith(root)) file = ''
    try {
      if (file && statSync(file).isDirectory()) file = join(file, 'index.html')
      if (!file || !statSync(file).isFile()) throw new Error('not a file')
    } catch {
      res.writeHead(200, { 'content-type': 'text/html' }).end(FALLBACK)
      return
    }
    res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' })
    createReadStream(file).pipe(res)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  }
}
