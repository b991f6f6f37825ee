// One .wasm build loaded on its own memory, with a bump allocator: the A/B benches (conv-direct.mjs, dense.mjs) call
// two builds' exports side by side on identical inputs. Shared memory for builds whose file name says -shared.
import { readFileSync } from 'node:fs'

export async function loadBuild(path, pages) {
  const memory = new WebAssembly.Memory({ initial: pages, maximum: 65536, shared: path.includes('shared') })
  const { instance } = await WebAssembly.instantiate(readFileSync(path), { env: { memory, abort() { throw new Error('abort') } } })
  const e = instance.exports
  let top = (e.heap_base() + 63) & ~63
  const alloc = (floats) => { const p = top; top += ((floats * 4 + 63) & ~63) + 64; return p }
  return { e, memory, alloc, reset() { top = (e.heap_base() + 63) & ~63 } }
}
