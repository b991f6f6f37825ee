import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { train } from '../../src/node-train'
import { tempDir } from '../helpers'

// train() hands its download options to loadMnist: a mirror that never answers costs one short timeout, not the
// 30 s default per try (the server counts the connections it got: a connection is accepted even when a loaded
// machine lets the client's timeout fire before the server has parsed the request).

let server: Server
let requests = 0

beforeAll(async () => {
  server = createServer(() => undefined) // never answers
  server.on('connection', () => requests++)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
})

afterAll(async () => {
  server.closeAllConnections()
  await new Promise<void>((resolve) => server.close(() => resolve()))
})

describe('train() download options', () => {
  it('uses timeoutMs and retries for a stalled mirror', async () => {
    const { port } = server.address() as AddressInfo
    const started = performance.now()
    const run = train({
      backend: 'cpu',
      mirror: `http://127.0.0.1:${port}/`,
      cacheDir: await tempDir('cache'),
      outDir: await tempDir('out'),
      timeoutMs: 1000,
      retries: 0,
      save: false,
    })
    await expect(run).rejects.toThrow(/timeout/i)
    expect(performance.now() - started).toBeLessThan(15_000)
    // One try per file at most; the stalled mirror is skipped for the other files after its first timeout.
    expect(requests).toBeGreaterThanOrEqual(1)
    expect(requests).toBeLessThanOrEqual(4)
  })
})
