// A package built without pretrained/: the error says so (and nothing about files or URLs it never looked at).
import { describe, expect, it, vi } from 'vitest'
import { loadPretrained } from './pretrained'

vi.mock('./_pretrained-data', () => ({ pretrained: undefined }))

describe('loadPretrained, no weights built in', () => {
  it('throws PretrainedUnavailableError', async () => {
    const err = await loadPretrained().catch((e: unknown) => e)
    expect(err).toMatchObject({ name: 'PretrainedUnavailableError', code: 'MODEL_PRETRAINED_UNAVAILABLE' })
    expect((err as Error).message).toContain('made without pretrained/')
  })
})
