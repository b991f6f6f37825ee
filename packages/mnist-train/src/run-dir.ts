import { randomBytes } from 'node:crypto'
import fs from 'node:fs/promises'
import path from 'node:path'
import { RunDirError } from './errors'

/** Default parent folder of the run folders: `MNIST_OUT_DIR`, else `models` (relative to the current directory). */
export function defaultOutDir(): string {
  const env = process.env['MNIST_OUT_DIR']
  return env !== undefined && env !== '' ? env : 'models'
}

/** `<YYYY-MM-DDTHH-MM-SSZ>-<backend>`: the run folder's name before any collision suffix. */
export function runDirName(backend: string, when: Date): string {
  const stamp = when
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-')
  return `${stamp}-${backend}`
}

/** Suffixes tried before giving up (a sweep of that many runs per second into one folder is not a real case). */
const MAX_SUFFIX = 10_000

/**
 * Creates the run folder `<outDir>/<stamp>-<backend>` (then `-2`, `-3`, ... when taken) with an exclusive `mkdir`:
 * the kernel makes exactly one caller succeed per name, so runs started in the same second, in this process or
 * others, never share a folder. Then proves the folder writable (a probe file written and removed), so an unusable
 * `outDir` fails before the first epoch, not at the first checkpoint. Throws `RunDirError` naming `outDir`.
 */
export async function createRunDir(outDir: string, backend: string, when: Date): Promise<string> {
  try {
    await fs.mkdir(outDir, { recursive: true })
  } catch (cause) {
    throw new RunDirError(outDir, 'could not be created', cause)
  }
  const base = path.join(outDir, runDirName(backend, when))
  for (let i = 1; i <= MAX_SUFFIX; i++) {
    const candidate = i === 1 ? base : `${base}-${i}`
    try {
      await fs.mkdir(candidate)
    } catch (cause) {
      if ((cause as NodeJS.ErrnoException).code === 'EEXIST') continue
      throw new RunDirError(outDir, 'is not writable (could not create the run folder in it)', cause)
    }
    await probeWritable(outDir, candidate)
    return candidate
  }
  throw new RunDirError(outDir, `already holds ${MAX_SUFFIX} run folders named ${path.basename(base)}(-n)`)
}

async function probeWritable(outDir: string, dir: string): Promise<void> {
  const probe = path.join(dir, `.probe-${process.pid}-${randomBytes(4).toString('hex')}`)
  try {
    await fs.writeFile(probe, 'probe')
    await fs.rm(probe)
  } catch (cause) {
    await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined)
    throw new RunDirError(outDir, 'is not writable (could not write a file in the new run folder)', cause)
  }
}

/** Removes a run folder that never received a checkpoint (a run that failed or stopped before its first one). */
export async function removeUnusedRunDir(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true }).catch(() => undefined)
}
