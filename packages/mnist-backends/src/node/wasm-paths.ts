import { existsSync } from 'node:fs'
import { createRequire } from 'node:module'
import path from 'node:path'
import { firstLine } from '../_first-line'
import { WASM_FIX, type LocateWasmBinaries } from '../backends/wasm'

const localRequire = createRequire(import.meta.url)

/** In Node the emscripten loader reads the binaries from disk: point it at the installed package. */
export const locateWasmBinariesInNode: LocateWasmBinaries = () => {
  let distDir: string
  try {
    distDir = path.dirname(localRequire.resolve('@tensorflow/tfjs-backend-wasm'))
  } catch (error) {
    const reason = `@tensorflow/tfjs-backend-wasm could not be located: ${firstLine(error)}`
    return { ok: false, reason, fix: WASM_FIX, cause: error }
  }
  if (!existsSync(path.join(distDir, 'tfjs-backend-wasm.wasm'))) {
    return { ok: false, reason: `no tfjs-backend-wasm.wasm in ${distDir}`, fix: WASM_FIX }
  }
  return distDir + path.sep
}
