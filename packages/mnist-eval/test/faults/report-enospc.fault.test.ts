// Fault injection for writeReport: a full disk (ENOSPC injected into node:fs/promises' writeFile at the n-th file), or
// a rename that fails while the files replace an earlier report, must leave no partial report, no temporary files,
// and every file already on disk as it was.
import * as realFs from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { ReportWriteError } from '../../src/errors'
import type { EvalResult } from '../../src/evaluate'
import { accuracyFromConfusion, confusionMatrix, perClassMetrics } from '../../src/metrics'
import { writeReport } from '../../src/report'

const fault = vi.hoisted(() => ({ failAt: -1, calls: 0, renameFailAt: -1, renames: 0 }))
vi.mock('node:fs/promises', async (importOriginal) => {
  const fs = await importOriginal<typeof import('node:fs/promises')>()
  const writeFile: typeof fs.writeFile = async (...args) => {
    if (fault.calls++ === fault.failAt) {
      // What a full disk does: part of the bytes land, then the write fails.
      await fs.writeFile(args[0], 'partial')
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' })
    }
    return fs.writeFile(...args)
  }
  const rename: typeof fs.rename = async (...args) => {
    if (fault.renames++ === fault.renameFailAt) {
      throw Object.assign(new Error('EIO: i/o error, rename'), { code: 'EIO' })
    }
    return fs.rename(...args)
  }
  return { ...fs, writeFile, rename, default: { ...fs, writeFile, rename } }
})

const count = 20
const labels = Uint8Array.from({ length: count }, (_, i) => i % 10)
const predicted = Uint8Array.from(labels, (l, i) => (i % 4 === 0 ? (l + 1) % 10 : l))
const images = new Uint8Array(count * 784).fill(90)
const confusion = confusionMatrix(labels, predicted)
const evaluation: EvalResult = {
  count,
  accuracy: accuracyFromConfusion(confusion),
  loss: 0.3,
  confusion,
  perClass: perClassMetrics(confusion),
  misclassified: [...predicted.keys()].filter((i) => predicted[i] !== labels[i]),
  predicted,
}
const input = { evaluation, images: { images, labels, count } }
const FILES = ['confusion.png', 'misclassified.png', 'report.json', 'report.md']

let root: string
beforeEach(async () => {
  root = await realFs.mkdtemp(join(tmpdir(), 'mnist-eval-enospc-'))
  fault.calls = 0
  fault.failAt = -1
  fault.renames = 0
  fault.renameFailAt = -1
})
afterEach(async () => {
  await realFs.rm(root, { recursive: true, force: true })
})

async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const name of (await realFs.readdir(dir)).sort())
    out[name] = (await realFs.readFile(join(dir, name))).toString('base64')
  return out
}

describe('writeReport on a full disk', () => {
  it('into an existing report folder: every earlier file stays byte-identical, whichever write fails', async () => {
    const dir = join(root, 'report')
    await writeReport(input, dir)
    await realFs.writeFile(join(dir, 'notes.txt'), 'keep me')
    const before = await snapshot(dir)
    expect(Object.keys(before)).toEqual([...FILES, 'notes.txt'].sort())
    for (let failAt = 0; failAt < FILES.length; failAt++) {
      fault.calls = 0
      fault.failAt = failAt
      const err = await writeReport(input, dir).then(
        () => undefined,
        (e: unknown) => e,
      )
      expect(err).toBeInstanceOf(ReportWriteError)
      expect((err as ReportWriteError).message).toMatch(
        /^\[@mnist\/eval\] \S+\/report\/\S+: cannot write the file \(ENOSPC\)$/,
      )
      expect(await snapshot(dir)).toEqual(before)
    }
  })

  it('over an existing report, a rename that fails at any point leaves the earlier report whole', async () => {
    const dir = join(root, 'report')
    await writeReport(input, dir)
    await realFs.writeFile(join(dir, 'notes.txt'), 'keep me')
    const before = await snapshot(dir)
    // Another result: report.json and report.md differ from the earlier ones, so a half-replaced report would show.
    const other = { ...input, evaluation: { ...evaluation, loss: 0.9 } }
    let failures = 0
    for (let failAt = 0; ; failAt++) {
      fault.renames = 0
      fault.renameFailAt = failAt
      const err = await writeReport(other, dir).then(
        () => undefined,
        (e: unknown) => e,
      )
      if (err === undefined) break
      failures++
      expect(err).toBeInstanceOf(ReportWriteError)
      expect((err as ReportWriteError).message).toMatch(
        /^\[@mnist\/eval\] \S+\/report\/\S+: cannot write the file \(EIO\)$/,
      )
      expect(await snapshot(dir)).toEqual(before)
    }
    // Every file's rename was tried as a point of failure, and the write that finally succeeded replaced them all.
    expect(failures).toBeGreaterThanOrEqual(FILES.length)
    const after = await snapshot(dir)
    expect(after['report.json']).not.toEqual(before['report.json'])
    expect(after['notes.txt']).toEqual(before['notes.txt'])
    expect(Object.keys(after)).toEqual(Object.keys(before))
  })

  it('into a new folder: nothing is created, not even the folder', async () => {
    const dir = join(root, 'fresh', 'report')
    fault.failAt = 2
    await expect(writeReport(input, dir)).rejects.toThrow(/cannot write the file \(ENOSPC\)/)
    expect(await realFs.readdir(join(root, 'fresh'))).toEqual([])
    fault.failAt = -1
    const { files } = await writeReport(input, dir)
    expect(files.map((f) => f.slice(dir.length + 1)).sort()).toEqual(FILES)
    expect(await realFs.readdir(join(root, 'fresh'))).toEqual(['report'])
  })
})
