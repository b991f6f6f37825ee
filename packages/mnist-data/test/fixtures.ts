import { mkdirSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { gzipSync } from 'node:zlib'
import { encodeIdx } from '../src/idx'

export interface ToySplit {
  count: number
  rows?: number
  cols?: number
  /** Label of sample i; default i % 10. */
  label?: (i: number) => number
  /** Override the label file's count (for count-mismatch cases). */
  labelCount?: number
}

/** Writes a tiny dataset with the four standard names into `dir` (gzip unless `gzip: false`). */
export function writeToyDataset(
  dir: string,
  train: ToySplit = { count: 12 },
  test: ToySplit = { count: 5 },
  gzip = true,
): void {
  mkdirSync(dir, { recursive: true })
  const write = (name: string, bytes: Uint8Array): void => {
    writeFileSync(join(dir, gzip ? `${name}.gz` : name), gzip ? gzipSync(bytes) : bytes)
  }
  for (const [prefix, s] of [
    ['train', train],
    ['t10k', test],
  ] as const) {
    const rows = s.rows ?? 28
    const cols = s.cols ?? 28
    const images = Uint8Array.from({ length: s.count * rows * cols }, (_, i) => (i * 7) % 256)
    const labelCount = s.labelCount ?? s.count
    const labels = Uint8Array.from({ length: labelCount }, (_, i) => (s.label ? s.label(i) : i % 10))
    write(`${prefix}-images-idx3-ubyte`, encodeIdx({ dtype: 'uint8', shape: [s.count, rows, cols], data: images }))
    write(`${prefix}-labels-idx1-ubyte`, encodeIdx({ dtype: 'uint8', shape: [labelCount], data: labels }))
  }
}

/** The real MNIST folder the test run was given; real-data tests never skip, so a missing variable is a failure. */
export function realMnistDir(): string {
  const dir = process.env.MNIST_DATA_DIR
  if (!dir) {
    throw new Error(
      'MNIST_DATA_DIR is not set: point it at a folder with the four real MNIST files (CI uses ../shared/mnist)',
    )
  }
  return dir
}
