import { constants, type Stats } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'
import { DatasetError, IdxFormatError, MnistDataError } from './errors'
import { compressedCap, rawCap, streamIdx, type IdxLimits, type StreamedIdx } from './idx-stream'

function kindOf(stats: Stats): string {
  if (stats.isDirectory()) return 'a folder'
  if (stats.isFIFO()) return 'a FIFO (named pipe)'
  if (stats.isCharacterDevice()) return 'a character device (such as /dev/zero)'
  if (stats.isBlockDevice()) return 'a block device'
  if (stats.isSocket()) return 'a socket'
  return 'not a regular file'
}

/**
 * Reads and parses one local IDX file (raw or gzip) within `limits`. Only regular files are read: a FIFO would block
 * forever and a device such as /dev/zero never ends, so both are refused before the first byte (the file is opened
 * non-blocking so that opening a FIFO cannot hang either). A file larger than the limits allow is refused from its
 * size alone; a decompression bomb stops at the first byte past them.
 */
export async function readIdxFile(path: string, limits: IdxLimits): Promise<StreamedIdx> {
  let handle: FileHandle
  try {
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK)
  } catch (error) {
    throw new DatasetError('DATA_FILE_UNREADABLE', `${path}: cannot read: ${(error as Error).message}`, {
      file: path,
      cause: error,
    })
  }
  try {
    const stats = await handle.stat()
    if (!stats.isFile()) {
      throw new DatasetError('DATA_NOT_A_FILE', `${path}: expected a regular file, got ${kindOf(stats)}`, {
        file: path,
      })
    }
    if (stats.size === 0) {
      throw new IdxFormatError('DATA_IDX_EMPTY', path, 'empty file: expected an IDX file, the file has 0 bytes')
    }
    const cap = compressedCap(rawCap(limits))
    if (stats.size > cap) {
      throw new IdxFormatError(
        'DATA_IDX_TOO_LARGE',
        path,
        `too large: expected at most ${cap} bytes${limits.exactWhat ? ` (${limits.exactWhat})` : ''}, ` +
          `the file has ${stats.size}`,
      )
    }
    const stream = handle.createReadStream({ highWaterMark: 1 << 20, autoClose: false })
    try {
      return await streamIdx(stream, path, limits)
    } catch (error) {
      if (!(error instanceof MnistDataError)) {
        throw new DatasetError('DATA_FILE_UNREADABLE', `${path}: cannot read: ${(error as Error).message}`, {
          file: path,
          cause: error,
        })
      }
      throw error
    } finally {
      stream.destroy()
    }
  } finally {
    await handle.close()
  }
}
