import { constants } from 'node:fs'
import fs from 'node:fs/promises'
import { CheckpointError } from './errors'

// Reading a checkpoint's files without trusting what is at their names: a FIFO would block the read forever, a link
// to /dev/zero (or a file still growing) would fill memory. Only a regular file is read, and never more than asked.

/**
 * Reads `file` if it is a regular file, at most `maxBytes + 1` bytes (one more than expected, so that a larger file
 * shows as larger). Opened non-blocking, so that a FIFO is refused at once instead of waiting for a writer.
 */
export async function readRegularFile(file: string, maxBytes: number): Promise<Buffer> {
  let handle: fs.FileHandle
  try {
    handle = await fs.open(file, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0))
  } catch (cause) {
    throw new CheckpointError(file, 'is missing or unreadable', { cause })
  }
  try {
    const stat = await handle.stat()
    if (!stat.isFile()) throw new CheckpointError(file, 'is not a regular file (a FIFO, device or folder)')
    const limit = Math.min(maxBytes + 1, stat.size + 1)
    const buffer = Buffer.alloc(limit)
    let length = 0
    while (length < limit) {
      const { bytesRead } = await handle.read(buffer, length, limit - length, length)
      if (bytesRead === 0) break
      length += bytesRead
    }
    return buffer.subarray(0, length)
  } catch (cause) {
    if (cause instanceof CheckpointError) throw cause
    throw new CheckpointError(file, 'could not be read', { cause })
  } finally {
    await handle.close()
  }
}
