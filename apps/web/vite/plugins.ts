// Dev/preview-server plugins of the web app: cross-origin isolation headers (threads need SharedArrayBuffer) and the
// local MNIST folder served at /mnist/, so that "train in this tab" works offline.
import { createReadStream, existsSync, statSync } from 'node:fs'
import { join } from 'node:path'
import type { Connect, Plugin } from 'vite'

/** The headers that make the page cross-origin isolated (`crossOriginIsolated === true`). */
export const ISOLATION_HEADERS = {
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Embedder-Policy': 'require-corp',
} as const

/** Where the app looks for the four MNIST files by default. */
export const MNIST_ROUTE = '/mnist/'

function isolation(): Connect.NextHandleFunction {
  return (_req, res, next) => {
    for (const [name, value] of Object.entries(ISOLATION_HEADERS)) res.setHeader(name, value)
    next()
  }
}

// Only plain file names: the route never reaches outside the folder.
const FILE_NAME = /^[\w.-]+$/

function mnistFolder(dir: string | undefined): Connect.NextHandleFunction {
  return (req, res, next) => {
    const url = new URL(req.url ?? '/', 'http://localhost')
    if (!url.pathname.startsWith(MNIST_ROUTE)) return next()
    const name = decodeURIComponent(url.pathname.slice(MNIST_ROUTE.length))
    const file = dir && FILE_NAME.test(name) ? join(dir, name) : undefined
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.statusCode = 404
      res.setHeader('Content-Type', 'text/plain')
      res.end(dir ? `${name}: not in MNIST_DATA_DIR (${dir})` : 'MNIST_DATA_DIR is not set on the server')
      return
    }
    res.setHeader('Content-Type', 'application/octet-stream')
    res.setHeader('Content-Length', String(statSync(file).size))
    res.setHeader('Cache-Control', 'no-cache')
    createReadStream(file).pipe(res)
  }
}

/** COOP/COEP on every response, and `MNIST_DATA_DIR` (if set) at `/mnist/`, for `vite` and `vite preview`. */
export function mnistServer(dataDir = process.env.MNIST_DATA_DIR): Plugin {
  return {
    name: 'mnist-web-server',
    configureServer(server) {
      server.middlewares.use(isolation())
      server.middlewares.use(mnistFolder(dataDir))
    },
    configurePreviewServer(server) {
      server.middlewares.use(isolation())
      server.middlewares.use(mnistFolder(dataDir))
    },
  }
}
