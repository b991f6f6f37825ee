import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import fs from 'node:fs/promises'
import path from 'node:path'
import { selectBackend } from '@mnist/backends'
import { beforeAll, describe, expect, it } from 'vitest'
import { readCheckpoint } from '../../src/checkpoint'
import type { CheckpointState } from '../../src/checkpoint-format'
import { sealState } from '../../src/checkpoint-state'
import { CheckpointError } from '../../src/errors'
import type { TrainOptions } from '../../src/options'
import { train } from '../../src/node-train'
import { snapshot, subset, tempDir, TINY_MODEL } from '../helpers'

// What a reader finds in a checkpoint folder after a write was cut short, and what it refuses. (The kill at every
// step of a real write is in tests/integration/test/cli/faults/checkpoint-crash.fault.test.ts.)

beforeAll(async () => {
  await selectBackend('cpu')
})

const FILES = ['metadata.json', 'model.json', 'optimizer.bin', 'training.json', 'weights.bin']

async function options(out: string): Promise<TrainOptions> {
  const config = { model: TINY_MODEL, epochs: 2, batchSize: 32 }
  return { backend: 'cpu', data: await subset(128, 32), outDir: out, config }
}

/** Two checkpoints of one run: after step 2 (interrupted) and the finished run, each in its own folder. */
async function twoCheckpoints(): Promise<{ out: string; early: string; done: string }> {
  const out = await tempDir('recover')
  const opts = await options(out)
  const controller = new AbortController()
  const stopAt2 = (p: { step: number }): void => void (p.step === 2 && controller.abort())
  const early = await train({ ...opts, signal: controller.signal, onProgress: stopAt2 })
  const done = await train(opts)
  return { out, early: early.checkpointDir!, done: done.modelDir! }
}

const readState = async (dir: string): Promise<CheckpointState> =>
  JSON.parse(await fs.readFile(path.join(dir, 'training.json'), 'utf8')) as CheckpointState

describe('checkpoint recovery', () => {
  it('finishes a write killed while moving committed files into place (some moved, some not)', async () => {
    const { early, done } = await twoCheckpoints()
    const want = await snapshot(done)
    // The state after "committed" and two of the five moves: X holds old and new files, X/.commit the rest.
    await fs.mkdir(path.join(early, '.commit'))
    for (const name of FILES) await fs.copyFile(path.join(done, name), path.join(early, '.commit', name))
    for (const name of ['metadata.json', 'model.json']) {
      await fs.rename(path.join(early, '.commit', name), path.join(early, name))
    }
    await fs.mkdir(path.join(early, '.pending-123-abcd'))
    await fs.writeFile(path.join(early, '.pending-123-abcd', 'weights.bin'), 'partial')
    const { state } = await readCheckpoint(early)
    expect(state.position.step).toBe(8)
    expect(await fs.readdir(early)).toEqual(expect.arrayContaining(FILES))
    expect((await fs.readdir(early)).sort()).toEqual(FILES)
    expect(await snapshot(early)).toEqual(want)
  })

  it('keeps the previous checkpoint when the write was killed before its commit (a staging folder only)', async () => {
    const { early } = await twoCheckpoints()
    const before = await snapshot(early)
    await fs.mkdir(path.join(early, '.pending-99-beef'))
    await fs.writeFile(path.join(early, '.pending-99-beef', 'model.json'), '{')
    expect((await readCheckpoint(early)).state.position.step).toBe(2)
    expect(await snapshot(early)).toEqual(before)
  })

  it('leaves a staging folder or a commit of a live writer alone; cleans up after a dead one', async () => {
    const { early, done } = await twoCheckpoints()
    const before = await snapshot(early)
    // Another process that runs (the one that started the tests) and one that no longer does.
    const live = process.ppid
    const dead = spawnSync(process.execPath, ['-e', '0']).pid!
    const pending = (pid: number): string => path.join(early, `.pending-${pid}-abcd`)
    for (const pid of [live, dead, process.pid]) {
      await fs.mkdir(pending(pid))
      await fs.writeFile(path.join(pending(pid), 'weights.bin'), 'partial')
    }
    const commit = path.join(early, '.commit')
    await fs.mkdir(commit)
    for (const name of FILES) await fs.copyFile(path.join(done, name), path.join(commit, name))
    await fs.writeFile(path.join(commit, '.writer-pid'), `${live}\n`)
    expect((await readCheckpoint(early)).state.position.step).toBe(2)
    // Still being written by `live`: both kept. Our own pid is not writing it (a restarted container reuses pids).
    expect((await fs.readdir(early)).filter((n) => n.startsWith('.')).sort()).toEqual(
      ['.commit', `.pending-${live}-abcd`].sort(),
    )
    expect(await fs.readdir(commit)).toContain('.writer-pid')
    const top = Object.entries(await snapshot(early)).filter(([name]) => !name.startsWith('.'))
    expect(Object.fromEntries(top)).toEqual(before)
    // The writer is gone: its commit is applied.
    await fs.writeFile(path.join(commit, '.writer-pid'), `${dead}\n`)
    expect((await readCheckpoint(early)).state.position.step).toBe(8)
    expect((await fs.readdir(early)).filter((n) => n.startsWith('.'))).toEqual([`.pending-${live}-abcd`])
  })

  it('a written checkpoint leaves no writer pid behind', async () => {
    const { early } = await twoCheckpoints()
    expect((await fs.readdir(early)).sort()).toEqual(FILES)
  })

  it('finishes a folder swap that the previous protocol left half done (no X, only its hidden siblings)', async () => {
    const { out, early, done } = await twoCheckpoints()
    const name = path.basename(early)
    // Killed between "X -> .X.old-tag" and ".X.tmp-tag -> X": the tmp folder is the newer whole checkpoint.
    await fs.rename(early, path.join(out, `.${name}.old-1-aa`))
    await fs.cp(done, path.join(out, `.${name}.tmp-1-aa`), { recursive: true })
    expect((await readCheckpoint(early)).state.position.step).toBe(8)
    expect((await fs.readdir(out)).filter((n) => n.startsWith('.'))).toEqual([])
    // Only the old folder left: that is the last whole checkpoint.
    await fs.rename(early, path.join(out, `.${name}.old-2-bb`))
    expect((await readCheckpoint(early)).state.position.step).toBe(8)
  })

  it('still reads a checkpoint written before checksums and file hashes existed', async () => {
    const { early } = await twoCheckpoints()
    const { files: _f, checksum: _c, threads: _t, stepEngine: _e, ...legacy } = await readState(early)
    await fs.writeFile(path.join(early, 'training.json'), JSON.stringify(legacy, null, 2))
    expect((await readCheckpoint(early)).state.position).toEqual({ epoch: 0, batch: 2, step: 2 })
  })
})

describe('checkpoint verification', () => {
  it('refuses a hand-edited position (checksum), also in an old checkpoint without one (consistency)', async () => {
    const { early } = await twoCheckpoints()
    const state = await readState(early)
    const file = path.join(early, 'training.json')
    await fs.writeFile(file, JSON.stringify({ ...state, position: { epoch: 0, batch: 3, step: 3 } }))
    await expect(readCheckpoint(early)).rejects.toThrow(/training\.json: was changed after it was written/)
    const { checksum: _c, files: _f, ...legacy } = state
    const edits: Array<[Partial<CheckpointState>, RegExp]> = [
      [{ position: { epoch: 0, batch: 3, step: 3 } }, /the optimiser made 2 steps, the position says 3/],
      [
        { position: { epoch: 1, batch: 0, step: 4 }, optimizer: { ...state.optimizer, step: 4 } },
        /history lists 0 epochs, the position says 1/,
      ],
      [{ position: { epoch: 0, batch: 2, step: 5 } }, /position step 5 is not epoch 0 x 4 \+ batch 2/],
      [{ totalSteps: 4 }, /totalSteps 4 is not 4 x 2/],
    ]
    for (const [edit, message] of edits) {
      await fs.writeFile(file, JSON.stringify({ ...legacy, ...edit }))
      const error = await readCheckpoint(early).catch((e: unknown) => e)
      expect(error).toBeInstanceOf(CheckpointError)
      expect((error as Error).message).toMatch(/training\.json: is inconsistent/)
      expect((error as Error).message).toMatch(message)
    }
  })

  it('refuses a damaged weights.bin or optimizer.bin, naming the file', async () => {
    const { early } = await twoCheckpoints()
    const weights = path.join(early, 'weights.bin')
    const bytes = await fs.readFile(weights)
    bytes[100] = bytes[100]! ^ 1
    await fs.writeFile(weights, bytes)
    await expect(readCheckpoint(early)).rejects.toThrow(`${weights}: does not match training.json`)
    await expect(train({ ...(await options(early)), resume: early, config: undefined })).rejects.toThrow(/weights\.bin/)
    const sealed = sealState({ ...(await readState(early)), files: undefined })
    await fs.writeFile(path.join(early, 'training.json'), JSON.stringify(sealed))
    await fs.truncate(path.join(early, 'optimizer.bin'), 10)
    await expect(readCheckpoint(early)).rejects.toThrow(/optimizer\.bin: expected \d+ bytes/)
  })
})

describe('checkpoint files that are not regular files', () => {
  it.skipIf(process.platform === 'win32')(
    'a FIFO or a link to /dev/zero as weights.bin or optimizer.bin is refused at once, naming the file',
    async () => {
      const { early } = await twoCheckpoints()
      const backup = await tempDir('backup')
      await fs.cp(early, backup, { recursive: true })
      for (const name of ['weights.bin', 'optimizer.bin']) {
        const file = path.join(early, name)
        for (const make of [() => execFileSync('mkfifo', [file]), () => fs.symlink('/dev/zero', file)]) {
          await fs.rm(file)
          await make()
          const started = Date.now()
          const error = await readCheckpoint(early).catch((e: unknown) => e)
          expect(error).toBeInstanceOf(CheckpointError)
          expect((error as Error).message).toContain(`${file}: is not a regular file`)
          expect(Date.now() - started).toBeLessThan(5_000)
        }
        // Again without the file list (an older checkpoint): optimizer.bin is still read the same way.
        await fs.rm(file)
        await fs.copyFile(path.join(backup, name), file)
      }
      const sealed = sealState({ ...(await readState(early)), files: undefined })
      await fs.writeFile(path.join(early, 'training.json'), JSON.stringify(sealed))
      const optimizer = path.join(early, 'optimizer.bin')
      await fs.rm(optimizer)
      execFileSync('mkfifo', [optimizer])
      await expect(readCheckpoint(early)).rejects.toThrow(`${optimizer}: is not a regular file`)
    },
  )

  it('refuses a file name in training.json that leaves the checkpoint folder', async () => {
    const { early } = await twoCheckpoints()
    const state = await readState(early)
    for (const name of ['../weights.bin', 'sub/weights.bin', 'sub\\weights.bin', '..']) {
      const files = { ...state.files, [name]: state.files!['weights.bin']! }
      await fs.writeFile(path.join(early, 'training.json'), JSON.stringify(sealState({ ...state, files })))
      await expect(readCheckpoint(early)).rejects.toThrow(/training\.json: lists .* not a file name of the checkpoint/)
    }
  })
})

describe('checkpoint before report', () => {
  it('an epoch is on disk before onEpochEnd reports it', async () => {
    const out = await tempDir('order')
    const seen: number[] = []
    let dir: string | undefined
    await train({
      ...(await options(out)),
      onStart: (info) => (dir = info.runDir),
      onEpochEnd: (summary) => {
        // Synchronously, as a caller that dies while printing would: the checkpoint must already hold the epoch.
        const state = JSON.parse(readFileSync(path.join(dir!, 'training.json'), 'utf8'))
        seen.push(summary.epoch, (state as CheckpointState).history.length)
      },
    })
    expect(seen).toEqual([1, 1, 2, 2])
  })
})
