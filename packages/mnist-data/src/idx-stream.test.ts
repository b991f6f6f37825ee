import { describe, expect, it } from 'vitest'
import { encodeIdx } from './idx'
import { streamIdx, type ByteBudget } from './idx-stream'

const rows = 28
const count = 100
const data = Uint8Array.from({ length: count * rows * rows }, (_, i) => i % 251)
const file = encodeIdx({ dtype: 'uint8', shape: [count, rows, rows], data })

async function* chunksOf(bytes: Uint8Array, failAt?: number): AsyncGenerator<Uint8Array> {
  for (let at = 0; at < bytes.length; at += 4096) {
    if (failAt !== undefined && at >= failAt) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })
    yield bytes.subarray(at, at + 4096)
  }
}

describe('streamIdx and the maxBytes budget', () => {
  it('gives a failed file its budget back: retries of a truncated file never run the budget out', async () => {
    // Room for one file and a half: without the refund, the second try would be refused as too large.
    const budget: ByteBudget = { limit: Math.floor(data.length * 1.5), used: 0 }
    for (let attempt = 0; attempt < 5; attempt++) {
      const truncated = streamIdx(chunksOf(file.subarray(0, file.length - 100)), 'f', { budget })
      await expect(truncated).rejects.toMatchObject({ code: 'DATA_IDX_TRUNCATED_DATA' })
      expect(budget.used).toBe(0)
      await expect(streamIdx(chunksOf(file, 20_000), 'f', { budget })).rejects.toMatchObject({ code: 'ECONNRESET' })
      expect(budget.used).toBe(0)
    }
    const parsed = await streamIdx(chunksOf(file), 'f', { budget })
    expect(parsed.array.shape).toEqual([count, rows, rows])
    expect(parsed.charged).toBe(data.length)
    expect(budget.used).toBe(data.length)
  })

  it('takes nothing from the budget for a file of known exact size', async () => {
    const budget: ByteBudget = { limit: 0, used: 0 }
    const parsed = await streamIdx(chunksOf(file), 'f', { exactBytes: file.length, exactWhat: 'the toy file', budget })
    expect(parsed.array.shape).toEqual([count, rows, rows])
    expect(parsed.charged).toBe(0)
    expect(budget.used).toBe(0)
    // The exact size still bounds it.
    const small = streamIdx(chunksOf(file), 'f', { exactBytes: file.length - 1, exactWhat: 'the toy file', budget })
    await expect(small).rejects.toMatchObject({ code: 'DATA_IDX_TOO_LARGE' })
  })

  it('still refuses files of unknown size beyond the budget', async () => {
    const budget: ByteBudget = { limit: data.length - 1, used: 0 }
    await expect(streamIdx(chunksOf(file), 'f', { budget })).rejects.toMatchObject({ code: 'DATA_IDX_TOO_LARGE' })
    expect(budget.used).toBe(0)
  })
})
