import { randomBytes } from 'node:crypto'
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises'
import { dirname, join } from 'node:path'
import { ReportWriteError } from './errors'

/**
 * Writes every `[name, content]` into the folder `target` all-or-nothing: every file is written in full into a
 * temporary folder first (a full disk or any other failure removes it and leaves `target` exactly as it was); only
 * then is the temporary folder renamed to `target` (when it did not exist) or each file renamed over its old
 * version, the old ones moved aside first and moved back if any rename fails (other files in `target` are kept).
 * Returns the final paths.
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
    await replaceFiles(
      temp,
      outputs.map(([name]) => name),
      finals,
    )
    await rm(temp, { recursive: true, force: true })
    return finals
  } catch (error) {
    await rm(temp, { recursive: true, force: true }).catch(() => undefined)
    throw error instanceof ReportWriteError
      ? error
      : new ReportWriteError(target, `cannot write the report (${errorCode(error)})`, error)
  }
}

/**
 * Renames each `temp/<name>` over `finals[i]`, all-or-nothing: each old file is first moved aside into `temp/.old`;
 * when any rename fails, the new files already in place are removed and the old ones moved back.
 */
async function replaceFiles(temp: string, names: readonly string[], finals: readonly string[]): Promise<void> {
  const aside = join(temp, '.old')
  await mkdir(aside)
  const moved: number[] = []
  const placed: number[] = []
  let at = 0
  try {
    for (; at < names.length; at++) {
      const old = join(aside, names[at]!)
      const hadOld = await rename(finals[at]!, old).then(
        () => true,
        (error: unknown) => (errorCode(error) === 'ENOENT' ? false : Promise.reject(error)),
      )
      if (hadOld) moved.push(at)
      await rename(join(temp, names[at]!), finals[at]!)
      placed.push(at)
    }
  } catch (error) {
    for (const i of placed) await rm(finals[i]!, { force: true }).catch(() => undefined)
    for (const i of moved) await rename(join(aside, names[i]!), finals[i]!).catch(() => undefined)
    throw new ReportWriteError(finals[at]!, `cannot write the file (${errorCode(error)})`, error)
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
