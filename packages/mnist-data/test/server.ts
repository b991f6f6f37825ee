import { readFileSync } from 'node:fs'
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { isGzip } from '../src/idx'
import { realMnistDir } from './fixtures'

export const NAMES = [
  'train-images-idx3-ubyte',
  'train-labels-idx1-ubyte',
  't10k-images-idx3-ubyte',
  't10k-labels-idx1-ubyte',
] as const

let cached: Map<string, Buffer> | undefined

/** The real MNIST files as a mirror serves them (`<name>.gz`), read from MNIST_DATA_DIR. */
export function mirrorFiles(): Map<string, Buffer> {
  if (cached) return cached
  const dir = realMnistDir()
  cached = new Map()
  for (const name of NAMES) {
    let bytes: Buffer
    try {
      bytes = readFileSync(join(dir, `${name}.gz`))
    } catch {
      bytes = readFileSync(join(dir, name))
    }
    cached.set(`/${name}.gz`, isGzip(bytes) ? bytes : gzipSync(bytes))
  }
  return cached
}

export interface Ctx {
  path: string
  /** 1 for the first request of this path, 2 for the second, ... */
  hit: number
  file: Buffer | undefined
  serve: () => void
}

export interface TestServer {
  url: string
  /** Requests per path. */
  hits: Map<string, number>
  close: () => Promise<void>
}

/** An HTTP server on 127.0.0.1 whose handler decides, per request, how to answer (or misbehave). */
export async function startServer(
  handler: (req: IncomingMessage, res: ServerResponse, ctx: Ctx) => void,
): Promise<TestServer> {
  const files = mirrorFiles()
  const hits = new Map<string, number>()
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname
    const hit = (hits.get(path) ?? 0) + 1
    hits.set(path, hit)
    const file = files.get(path)
    const serve = (): void => {
      if (!file) {
        res.writeHead(404).end()
        return
      }
      res.writeHead(200, { 'content-type': 'application/gzip', 'content-length': file.length })
      res.end(file)
    }
    handler(req, res, { path, hit, file, serve })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    url: `http://127.0.0.1:${port}/`,
    hits,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections()
        server.close(() => resolve())
      }),
  }
}
