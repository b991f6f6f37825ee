import { util, type DataType, type TensorInfo } from '@tensorflow/tfjs-core'
import type { SimdBackend } from '../backend'

export interface Out {
  ptr: number
  shape: number[]
  dtype: DataType
  size: number
}

/**
 * One kernel invocation's view of wasm memory: input pointers (copying inputs that are not already in wasm
 * memory), output blocks and scratch, all released by finish().
 */
export class Call {
  private readonly temps: number[] = []
  private readonly shared: boolean

  constructor(readonly b: SimdBackend) {
    this.shared = b.rt.shared
  }

  /** Pointer to the float32 data of `t`. */
  in(t: TensorInfo): number {
    const p = this.b.ptrOf(t.dataId)
    if (p !== undefined) return p
    const n = util.sizeFromShape(t.shape)
    const adopted = this.b.adopt(t.dataId, n)
    if (adopted !== undefined) return adopted
    const values = this.b.valuesOf(t.dataId) as Float32Array
    const ptr = this.scratch(n)
    this.b.rt.heap.f32().set(n === values.length ? values : values.subarray(0, n), ptr >> 2)
    return ptr
  }

  out(shape: number[], dtype: DataType = 'float32'): Out {
    const size = util.sizeFromShape(shape)
    const o: Out = { ptr: this.b.rt.heap.alloc(size * 4), shape, dtype, size }
    return o
  }

  /** Temporary float32 block, freed by finish(). */
  scratch(floats: number): number {
    const p = this.b.rt.heap.alloc(floats * 4)
    this.temps.push(p)
    return p
  }

  /** Small i32 parameter block. */
  ints(values: ArrayLike<number>): number {
    const p = this.scratch(values.length)
    this.b.rt.heap.i32(p, values.length).set(values as ArrayLike<number>)
    return p
  }

  /** Frees temporaries and turns `o` into a tensor (in shared mode without a copy). */
  result(o: Out): TensorInfo {
    const heap = this.b.rt.heap
    if (this.shared) return this.b.adoptHeapTensor(o.ptr, o.shape, o.dtype, o.size)
    const values = heap.f32().slice(o.ptr >> 2, (o.ptr >> 2) + o.size)
    heap.free(o.ptr)
    return this.b.makeTensorInfo(o.shape, o.dtype, values)
  }

  /** Frees the scratch blocks (outputs belong to their tensors once result() made them). */
  finish(): void {
    const heap = this.b.rt.heap
    for (const p of this.temps) heap.free(p)
    this.temps.length = 0
  }

  /** Splits [0, n) into at most `parts` ranges of multiples of `align`, for the threads. */
  split(n: number, parts: number, align = 1): [number, number][] {
    const out: [number, number][] = []
    const p = Math.max(1, Math.min(parts, Math.ceil(n / align)))
    let start = 0
    for (let i = 0; i < p; i++) {
      const end = i === p - 1 ? n : Math.min(n, Math.round(((i + 1) * n) / p / align) * align)
      if (end > start) out.push([start, end])
      start = end
    }
    return out
  }

  /** Threads worth using for `flops` of work (waking a worker costs roughly 50 µs of work). */
  threadsFor(flops: number): number {
    const t = this.b.rt.threads
    const min = this.b.rt.parallelThreshold
    if (t <= 1 || flops < min) return 1
    return min === 0 ? t : Math.min(t, Math.max(1, Math.floor((2 * flops) / min)))
  }
}
