import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { ReportWriteError } from './errors'

/**
 * Writes every `[name, content]` into the folder `target` all-or-nothing: every file is written in full into a
 * temporary folder first (a full disk or any other failure removes it and leaves `target` exactly as it was); only
 * then is the temporary folder renamed to `target` (when it did not exist) or each file renamed over its old
 * version (other files in `target` are kept). Returns the final paths.
 */
export async function writeFolderAtomically(
  target: string,
  outputs: readonly [string, Uint8Array | string][],
): Promise<string[]> {
  const existed = await folderExists(target)
  if (!existed) {
    try {
      await mkdir(dirname(target), { recursive: true })
    } catch (error) {
      throw new ReportWriteError(target, `cannot create the report folder (${errorCode(error)})`, error)
    }
  }
  // Inside an existing folder (its parent may not be writable, e.g. `--report .`), else beside the new one.
  const tag = `.tmp-${process.pid}-${randomBytes(4).toString('hex')}`
  const temp = existed ? join(target, `.report${tag}`) : `${target}${tag}`
  const finals = outputs.map(([name]) => join(target, name))
  try {
    await mkdir(temp).catch((error: unknown) => {
      throw new ReportWriteError(target, `cannot create the report folder (${errorCode(error)})`, error)
    })
    for (const [name, content] of outputs) {
      await writeFile(join(temp, name), content).catch((error: unknown) => {
        throw new ReportWriteError(join(target, name), `cannot write the file (${errorCode(error)})`, error)
      })
    }
    if (!existed) {
      await rename(temp, target).catch((error: unknown) => {
        throw new ReportWriteError(target, `cannot create the report folder (${errorCode(error)})`, error)
      })
      return finals
    }
    // A folder in the way would make its rename fail after others succeeded: refuse before replacing anything.
    for (const path of finals) {
      if (await folderExists(path)) throw new ReportWriteError(path, 'cannot write the file (a folder has that name)')
    }
    for (const [i, [name]] of outputs.entries()) {
      await rename(join(temp, name), finals[i]!).catch((error: unknown) => {
        throw new ReportWriteError(finals[i]!, `cannot write the file (${errorCode(error)})`, error)
      })
    }
    await rm(temp, { recursive: true, force: true })
    return finals
  } catch (error) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined)
    throw error instanceof ReportWriteError
      ? error
      : new ReportWriteError(target, `cannot write the report (${errorCode(error)})`, error)
  }
}

async function folderExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isDirectory()
  } catch {
    return false
  }
}

function errorCode(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? String(error)
}
