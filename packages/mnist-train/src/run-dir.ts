import { existsSync } from 'node:fs'
import path from 'node:path'

/** Default parent folder of the run folders: `MNIST_OUT_DIR`, else `models` (relative to the current directory). */
export function defaultOutDir(): string {
  const env = process.env['MNIST_OUT_DIR']
  return env !== undefined && env !== '' ? env : 'models'
}

/** `<outDir>/<YYYY-MM-DDTHH-MM-SSZ>-<backend>`, with `-2`, `-3`, ... when taken. */
export function uniqueRunDir(outDir: string, backend: string, when: Date, current?: string): string {
  const stamp = when
    .toISOString()
    .replace(/\.\d+Z$/, 'Z')
    .replace(/:/g, '-')
  const base = current ?? path.join(outDir, `${stamp}-${backend}`)
  if (!existsSyncSafe(base)) return base
  for (let i = 2; ; i++) {
    const candidate = `${base}-${i}`
    if (!existsSyncSafe(candidate)) return candidate
  }
}

function existsSyncSafe(p: string): boolean {
  try {
    return existsSync(p)
  } catch {
    return false
  }
}
