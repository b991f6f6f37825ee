// The embedded weights go through the same checks as files on disk: a changed byte is a checksum mismatch.
import { describe, expect, it, vi } from 'vitest'
import { loadPretrained } from './pretrained'

vi.mock('./_pretrained-data', async (importOriginal) => {
  const { pretrained } = await importOriginal<typeof import('./_pretrained-data')>()
  const bytes = Buffer.from(pretrained!.weights['weights.bin']!, 'base64')
  bytes[100] = bytes[100]! ^ 1
  return { pretrained: { ...pretrained!, weights: { 'weights.bin': bytes.toString('base64') } } }
})

describe('loadPretrained, embedded weights', () => {
  it('checks their SHA-256 against the metadata', async () => {
    const err = await loadPretrained().catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'ModelFileError', code: 'MODEL_WEIGHTS_CHECKSUM_MISMATCH' })
    expect((err as Error).message).toContain('@mnist/model/pretrained/weights.bin')
  })
})
