import { SimdOutOfMemoryError } from './errors'

const PAGE = 65536
const ALIGN = 64
/** 2 GiB: the limit of a wasm32 memory that every engine accepts; V8 only reserves address space for it. */
export const MAX_PAGES = 32768

/**
 * Host-side allocator over the wasm memory. Tensors of a training step come back with the same sizes every
 * step, so exact-size free lists reuse every block and the heap stops growing after the first step.
 */
export class Heap {
  private top: number
  private readonly freeLists = new Map<number, number[]>()
  private readonly sizes = new Map<number, number>()
  private f32View: Float32Array
  private inUse = 0

  constructor(
    readonly memory: WebAssembly.Memory,
    base: number,
    readonly shared: boolean,
  ) {
    this.top = Math.ceil(base / ALIGN) * ALIGN
    this.f32View = new Float32Array(memory.buffer)
  }

  /** A 64-byte aligned block of at least `bytes` bytes. */
  alloc(bytes: number): number {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN)
    const list = this.freeLists.get(size)
    let ptr = list?.pop()
    if (ptr === undefined) {
      ptr = this.top
      const end = ptr + size
      const have = this.memory.buffer.byteLength
      if (end > have) {
        const pages = Math.ceil((end - have) / PAGE)
        // Grow by at least 1/8 of the heap so a growing model does not grow page by page.
        const want = Math.max(pages, Math.ceil(have / PAGE / 8))
        const current = have / PAGE
        try {
          this.memory.grow(Math.min(Math.max(want, pages), MAX_PAGES - current))
        } catch (cause) {
          throw new SimdOutOfMemoryError(bytes, this.top, cause)
        }
        if (this.memory.buffer.byteLength < end) throw new SimdOutOfMemoryError(bytes, this.top)
      }
      this.top = end
    }
    this.sizes.set(ptr, size)
    this.inUse += size
    return ptr
  }

  free(ptr: number): void {
    const size = this.sizes.get(ptr)
    if (size === undefined) return
    this.sizes.delete(ptr)
    this.inUse -= size
    let list = this.freeLists.get(size)
    if (!list) this.freeLists.set(size, (list = []))
    list.push(ptr)
  }

  /** Float32 view of the whole memory; refreshed after a grow (an unshared buffer is detached by grow). */
  f32(): Float32Array {
    if (this.f32View.buffer !== this.memory.buffer || this.f32View.length * 4 !== this.memory.buffer.byteLength) {
      this.f32View = new Float32Array(this.memory.buffer)
    }
    return this.f32View
  }

  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n)
  }

  /** Bytes held by live blocks. */
  get bytesInUse(): number {
    return this.inUse
  }

  /** High-water mark of the heap (bytes of wasm memory ever handed out, free lists included). */
  get bytesReserved(): number {
    return this.top
  }
}
