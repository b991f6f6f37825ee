import { createHash } from 'node:crypto'
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join, resolve } from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { bin, runCli } from '../run-cli'

// SIGKILL at every step of a checkpoint write (MNIST_TRAIN_CRASH_AFTER=<write>:<step> makes @mnist/train kill itself
// right after that step), then `mnist train --resume <run folder>`: the folder always holds a whole checkpoint and the
// resumed run ends with the weights of an uninterrupted one.

const RUN = [
  'train',
  '--limit',
  '192',
  '--batch-size',
  '64',
  '--test-limit',
  '50',
  '--epochs',
  '3',
  '--seed',
  '5',
  '--backend',
  'simd',
  '--json',
]
/** Steps of one write: model, optimizer, sync, commit record, commit, 5 moves, applied (see checkpoint-commit.ts). */
const MAX_STEPS = 16
/** The crash points of one write (11, above); the 5th, 'committed', is the commit: from it on the new checkpoint. */
const WRITE_STEPS = 11
const COMMIT_STEP = 5

let out: string
beforeAll(() => {
  expect(existsSync(bin), `${bin} is missing: build the CLI first`).toBe(true)
  out = mkdtempSync(resolve(tmpdir(), 'mnist-cli-crash-'))
})
afterAll(() => rmSync(out, { recursive: true, force: true }))

const sha = (file: string): string => createHash('sha256').update(readFileSync(file)).digest('hex')
const lastJson = (stdout: string): Record<string, unknown> =>
  JSON.parse(stdout.trim().split('\n').pop()!) as Record<string, unknown>

describe('SIGKILL during a checkpoint write', { timeout: 900_000 }, () => {
  it('leaves a checkpoint that resumes to the uninterrupted weights, at every step of the write', () => {
    const reference = runCli([...RUN, '--out', join(out, 'reference')])
    expect(reference.code, reference.stderr).toBe(0)
    const want = sha(join(lastJson(reference.stdout)['modelDir'] as string, 'weights.bin'))
    let killedSteps = 0
    for (let step = 1; step <= MAX_STEPS; step++) {
      const dir = join(out, `kill-${step}`)
      // The second write: after epoch 2 of 3, over the checkpoint of epoch 1.
      const killed = runCli([...RUN, '--out', dir], { MNIST_TRAIN_CRASH_AFTER: `2:${step}` })
      if (killed.code === 0) break // past the last step: the write finished and so did the run
      expect(killed.code, killed.stderr).toBe(null) // killed by the signal
      killedSteps++
      const [runDir] = readdirSync(dir)
      const resumed = runCli(['train', '--resume', join(dir, runDir!), '--json'])
      if (resumed.code !== 0) {
        throw new Error(`after step ${step}: resume exited ${resumed.code}: ${resumed.stderr}`)
      }
      // Killed before the commit: the checkpoint of epoch 1 (step 3); from the commit on: the new one, of epoch 2.
      const from = step < COMMIT_STEP ? 3 : 6
      expect(resumed.stderr, `step ${step}`).toMatch(new RegExp(`resuming .* at step ${from}/9`))
      expect(sha(join(lastJson(resumed.stdout)['modelDir'] as string, 'weights.bin')), `step ${step}`).toBe(want)
      // Nothing temporary is left in the killed run's folder once the resume recovered it.
      expect(
        readdirSync(join(dir, runDir!)).filter((n) => n.startsWith('.')),
        `step ${step}`,
      ).toEqual([])
    }
    expect(killedSteps).toBe(WRITE_STEPS)
  })

  it('a kill during the last write leaves the finished model or the previous checkpoint, never neither', () => {
    for (const step of [4, 5, 8]) {
      const dir = join(out, `last-${step}`)
      const killed = runCli([...RUN, '--out', dir], { MNIST_TRAIN_CRASH_AFTER: `3:${step}` })
      expect(killed.code, killed.stderr).toBe(null)
      const runDir = join(dir, readdirSync(dir)[0]!)
      const resumed = runCli(['train', '--resume', runDir, '--json'])
      // Before the commit (step 4): epoch 2's checkpoint, resumed to the end; after it: the complete run.
      if (step < 5) expect(resumed.code, resumed.stderr).toBe(0)
      else expect(resumed.stderr).toMatch(/the run is already complete \(3\/3 epochs\); nothing to resume/)
    }
  })
})
