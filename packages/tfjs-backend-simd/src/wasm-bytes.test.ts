import { readdirSync, readFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, test } from 'vitest'
import { WasmLoadError } from './errors'
import { wasmBytes } from './wasm-bytes'

const wasmDir = fileURLToPath(new URL('../wasm-out/', import.meta.url))

describe('the wasm builds built into the package', () => {
  test('are exactly the files in wasm-out/ (generated from them at build time)', async () => {
    const files = readdirSync(wasmDir).filter((f) => f.endsWith('.wasm'))
    expect(files).toHaveLength(6)
    for (const f of files) {
      const { bytes, source } = await wasmBytes(f)
      expect(Buffer.from(bytes).equals(readFileSync(`${wasmDir}${f}`))).toBe(true)
      expect(source).toBe(`${f} (built into @mnist/backend-simd)`)
    }
  })

  test('a build the package does not have: a typed error that names wasmUrl', async () => {
    const err = await wasmBytes('avx512.wasm').catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WasmLoadError)
    expect((err as Error).message).toContain('avx512.wasm (built into @mnist/backend-simd)')
    expect((err as Error).message).toContain('wasmUrl')
  })
})

describe('wasmUrl over HTTP', () => {
  let server: Server
  let base: string
  beforeAll(async () => {
    // /w/ serves wasm-out/; /gone/ answers 404; everything else gets the app's page (a dev server's fallback).
    server = createServer((req, res) => {
      const path = new URL(req.url!, 'http://x').pathname
      if (path.startsWith('/w/')) {
        res.writeHead(200, { 'content-type': 'application/wasm' }).end(readFileSync(`${wasmDir}${path.slice(3)}`))
      } else if (path.startsWith('/gone/')) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not here')
      } else {
        res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>app</title>')
      }
    })
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  afterAll(() => new Promise<void>((r) => server.close(() => r())))

  test('fetches the file it names', async () => {
    const { bytes, source } = await wasmBytes('simd.wasm', (f) => `${base}/w/${f}`)
    expect(Buffer.from(bytes).equals(readFileSync(`${wasmDir}simd.wasm`))).toBe(true)
    expect(source).toBe(`${base}/w/simd.wasm (from the wasmUrl option)`)
  })

  test('a web page instead of the file: what was fetched and what came back', async () => {
    const err = await wasmBytes('simd.wasm', (f) => `${base}/assets/${f}`).catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'WasmLoadError', code: 'SIMD_WASM_NOT_FOUND' })
    const msg = (err as Error).message
    expect(msg).toContain(`${base}/assets/simd.wasm (from the wasmUrl option)`)
    expect(msg).toContain('HTTP 200 OK, content-type text/html')
    expect(msg).toContain('"<!doctype html><title>app</title>"')
    expect(msg).toContain('a web page')
  })

  test('a 404: the status, the content-type and the body', async () => {
    const err = await wasmBytes('simd.wasm', (f) => `${base}/gone/${f}`).catch((e: unknown) => e)
    expect((err as Error).message).toContain('HTTP 404 Not Found, content-type text/plain, 8 bytes: "not here"')
  })

  test('a wasmUrl that throws is a typed error too', async () => {
    const err = await wasmBytes('simd.wasm', () => {
      throw new TypeError('Invalid URL')
    }).catch((e: unknown) => e)
    expect(err).toBeInstanceOf(WasmLoadError)
    expect((err as Error).message).toContain('the wasmUrl option threw for simd.wasm: Invalid URL')
  })
})
