import fs from 'node:fs/promises'
import path from 'node:path'
import { listBackends } from '@mnist/backends'
import { describe, expect, it } from 'vitest'
import type { CheckpointState } from '../../src/checkpoint-format'
import { sealState } from '../../src/checkpoint-state'
import { ResumeBackendError } from '../../src/errors'
import type { TrainOptions, TrainStartInfo } from '../../src/options'
import { train } from '../../src/node-train'
import { subset, tempDir, TINY_MODEL, weightsOf } from '../helpers'

// A resume continues on the backend its checkpoint recorded (the default `'auto'` does not pick the fastest one
// here), so it gives the weights of an uninterrupted run; an override warns, an unavailable backend is refused.

async function options(out: string): Promise<TrainOptions> {
  return {
    backend: 'wasm',
    data: await subset(128, 32),
    outDir: out,
    config: { model: TINY_MODEL, epochs: 2, batchSize: 32, seed: 4 },
  }
}

describe('resume on the recorded backend', () => {
  it('continues a wasm run on wasm without being told, bit for bit; another backend is a warned override', async () => {
    const out = await tempDir('resume-wasm')
    const opts = await options(out)
    const full = await train({ ...opts, keepModel: true })
    const want = weightsOf(full.model!)
    full.model!.dispose()
    const controller = new AbortController()
    const onProgress = (p: { step: number }): void => void (p.step === 3 && controller.abort())
    const stopped = await train({ ...opts, signal: controller.signal, onProgress })
    expect(stopped.interrupted).toBe(true)
    let start: TrainStartInfo | undefined
    const resumed = await train({
      data: opts.data,
      resume: stopped.checkpointDir,
      keepModel: true,
      onStart: (info) => (start = info),
    })
    expect(resumed.backend).toBe('wasm')
    expect(start!.warnings).toEqual([])
    const got = weightsOf(resumed.model!)
    resumed.model!.dispose()
    got.forEach((w, i) => expect(Buffer.from(w.buffer).equals(Buffer.from(want[i]!.buffer))).toBe(true))

    const onStart = (i: TrainStartInfo): void => void (start = i)
    const other = await train({ data: opts.data, resume: stopped.checkpointDir, backend: 'cpu', onStart })
    expect(other.backend).toBe('cpu')
    expect(start!.warnings.join('\n')).toMatch(/resuming on backend "cpu", not "wasm" .* the weights will differ/)
  })

  it('refuses, naming the backend, when the recorded one is not available here', async () => {
    const missing = (await listBackends()).find((b) => !b.available)
    expect(missing, 'every backend runs here: nothing to check').toBeDefined()
    const out = await tempDir('resume-missing')
    const opts = await options(out)
    const controller = new AbortController()
    const onProgress = (p: { step: number }): void => void (p.step === 1 && controller.abort())
    const stopped = await train({ ...opts, signal: controller.signal, onProgress })
    const file = path.join(stopped.checkpointDir!, 'training.json')
    const state = JSON.parse(await fs.readFile(file, 'utf8')) as CheckpointState
    await fs.writeFile(file, JSON.stringify(sealState({ ...state, backend: missing!.backend })))
    const error = await train({ data: opts.data, resume: stopped.checkpointDir }).catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ResumeBackendError)
    expect((error as ResumeBackendError).code).toBe('TRAIN_RESUME_BACKEND_UNAVAILABLE')
    const named = `was trained on backend "${missing!.backend}", which is not available here`
    expect((error as Error).message).toContain(named)
  })
})
