// A CORS "mirror" of MNIST_DATA_DIR whose downloads stall: each file sends its headers and its first 64 KiB (a valid
// gzip prefix), then nothing until closed. The page's download stays in flight as long as a test needs, so that Stop
// lands while the data is loading.
import { existsSync, readFileSync } from 'node:fs'
import { createServer, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { basename, join } from 'node:path'

export interface StalledMirror {
  /** Base URL to put in the page's `?data=`. */
  url: string
  /** How many file requests arrived. */
  requests(): number
  close(): Promise<void>
}

export async function startStalledMirror(dataDir: string): Promise<StalledMirror> {
  const open = new Set<ServerResponse>()
  let requests = 0
  const server = createServer((req, res) => {
    res.setHeader('Access-Control-Allow-Origin', '*')
    res.setHeader('Access-Control-Allow-Headers', '*')
    if (req.method === 'OPTIONS') return res.end()
    const file = join(dataDir, basename(new URL(req.url ?? '/', 'http://x').pathname))
    if (!existsSync(file)) {
      res.statusCode = 404
      return res.end()
    }
    requests++
    const bytes = readFileSync(file)
    res.setHeader('Content-Type', 'application/octet-stream')
    res.setHeader('Content-Length', String(bytes.length))
    res.write(bytes.subarray(0, 64 * 1024))
    open.add(res)
    res.on('close', () => open.delete(res))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    requests: () => requests,
    close: async () => {
      for (const res of open) res.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
  }
}
