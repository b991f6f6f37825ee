import { ModelFileError } from './errors'
import { nodeModules } from './_node'

/** How many bytes a file may hold: at most `max`, or exactly `max` when `exact` (what `what` needs). */
export interface ByteLimit {
  max: number
  exact?: boolean
  /** What the bytes are for, e.g. `21922 float32 weights`. */
  what: string
}

/**
 * Node: read a model file, refusing anything but a regular file and more bytes than `limit` allows, before reading.
 * A FIFO would block `open` and `read` forever and a device (`/dev/zero`) never ends, so the file is opened with
 * O_NONBLOCK and checked with fstat on the open descriptor (a symlink is followed, then judged by what it points at).
 * Missing files (message `missing`) and read failures are one-line `ModelFileError`s naming the file; with
 * `missing: null` a missing file gives `undefined` instead (an optional file).
 */
export async function readModelFile(file: string, limit: ByteLimit, missing: string): Promise<Uint8Array>
export async function readModelFile(file: string, limit: ByteLimit, missing: null): Promise<Uint8Array | undefined>
export async function readModelFile(
  file: string,
  limit: ByteLimit,
  missing: string | null,
): Promise<Uint8Array | undefined> {
  const { fs } = await nodeModules('loadModel(path)')
  const flags = fs.constants.O_RDONLY | (fs.constants.O_NONBLOCK ?? 0)
  let handle: Awaited<ReturnType<typeof fs.open>>
  try {
    handle = await fs.open(file, flags)
  } catch (cause) {
    // No `cause` on these errors: the message says it all, and the CLI prints a cause as a second line.
    if ((cause as NodeJS.ErrnoException).code !== 'ENOENT')
      throw new ModelFileError(file, `could not be read: ${(cause as Error).message}`)
    if (missing === null) return undefined
    throw new ModelFileError(file, missing)
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) {
      throw new ModelFileError(file, `expected a regular file, found ${kindOf(stat)}`, {
        code: 'MODEL_FILE_NOT_REGULAR',
      })
    }
    checkSize(file, stat.size, limit)
    // One byte more than allowed: a file that grew after fstat is caught instead of silently cut.
    const buffer = new Uint8Array(stat.size + 1)
    let got = 0
    while (got < buffer.length) {
      const { bytesRead } = await handle.read(buffer, got, buffer.length - got, got)
      if (bytesRead === 0) break
      got += bytesRead
    }
    checkSize(file, got, limit)
    return buffer.subarray(0, got)
  } catch (cause) {
    if (cause instanceof ModelFileError) throw cause
    throw new ModelFileError(file, `could not be read: ${(cause as Error).message}`)
  } finally {
    await handle.close().catch(() => undefined)
  }
}

/** @internal Throw when `size` breaks `limit` (shared with the URL loader, which counts streamed bytes). */
export function checkSize(file: string, size: number, limit: ByteLimit, final = true): void {
  if (limit.exact === true && final && size < limit.max) {
    throw new ModelFileError(
      file,
      `expected ${limit.max} bytes for ${limit.what}, got ${size} (truncated or from another model?)`,
    )
  }
  if (size > limit.max) {
    const expected = limit.exact === true ? `${limit.max}` : `at most ${limit.max}`
    throw new ModelFileError(
      file,
      `expected ${expected} bytes for ${limit.what}, got ${size}` +
        (limit.exact === true ? ' (from another model?)' : ''),
      {
        code: 'MODEL_FILE_TOO_LARGE',
      },
    )
  }
}

function kindOf(stat: {
  isDirectory(): boolean
  isFIFO(): boolean
  isCharacterDevice(): boolean
  isBlockDevice(): boolean
  isSocket(): boolean
}): string {
  if (stat.isDirectory()) return 'a folder'
  if (stat.isFIFO()) return 'a FIFO (named pipe)'
  if (stat.isCharacterDevice()) return 'a character device'
  if (stat.isBlockDevice()) return 'a block device'
  if (stat.isSocket()) return 'a socket'
  return 'something else'
}
