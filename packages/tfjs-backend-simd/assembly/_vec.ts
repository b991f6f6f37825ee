// Shared inline helpers. Every kernel branches on ASC_FEATURE_SIMD / ASC_FEATURE_RELAXED_SIMD at compile
// time, so one source produces the relaxed-simd, simd and scalar builds.

// @ts-ignore: decorator
@inline export function fma4(a: v128, b: v128, c: v128): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) return f32x4.relaxed_madd(a, b, c)
  return f32x4.add(f32x4.mul(a, b), c)
}

/** Copies n floats (regions never overlap). */
// @ts-ignore: decorator
@inline export function copyF32(dst: usize, src: usize, n: i32): void {
  let i = 0
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      v128.store(dst + (<usize>i << 2), v128.load(src + (<usize>i << 2)))
    }
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), load<f32>(src + (<usize>i << 2)))
}

/** dst[i] += src[i] for n floats. */
// @ts-ignore: decorator
@inline export function addF32(dst: usize, src: usize, n: i32): void {
  let i = 0
  if (ASC_FEATURE_SIMD) {
    for (; i + 4 <= n; i += 4) {
      const p = dst + (<usize>i << 2)
      v128.store(p, f32x4.add(v128.load(p), v128.load(src + (<usize>i << 2))))
    }
  }
  for (; i < n; i++) {
    const p = dst + (<usize>i << 2)
    store<f32>(p, load<f32>(p) + load<f32>(src + (<usize>i << 2)))
  }
}

// @ts-ignore: decorator
@inline export function zeroF32(dst: usize, n: i32): void {
  let i = 0
  if (ASC_FEATURE_SIMD) {
    const z = f32x4.splat(0)
    for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z)
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), 0)
}

export function fill_f32(dst: usize, value: f32, n: i32): void {
  let i = 0
  if (ASC_FEATURE_SIMD) {
    const z = f32x4.splat(value)
    for (; i + 4 <= n; i += 4) v128.store(dst + (<usize>i << 2), z)
  }
  for (; i < n; i++) store<f32>(dst + (<usize>i << 2), value)
}

export function add_into_f32(dst: usize, src: usize, n: i32): void {
  addF32(dst, src, n)
}

export function copy_f32(dst: usize, src: usize, n: i32): void {
  copyF32(dst, src, n)
}

/** dst[cols, rows] = transpose(src[rows, cols]). */
export function transpose_f32(src: usize, dst: usize, rows: i32, cols: i32): void {
  transposeRows(src, cols, dst, rows, 0, rows, cols)
}

/**
 * dst[c·dstStride + r] = src[r·srcStride + c] for rows [r0, r1) and columns [0, cols) of src (a block of a
 * transpose; strides in floats). Rows go in 4x4 SIMD tiles from r0 (a multiple of 4 keeps the tiles of a split
 * where the whole transpose has them; the values moved are the same either way).
 */
// @ts-ignore: decorator
@inline export function transposeRows(src: usize, srcStride: i32, dst: usize, dstStride: i32, r0: i32, r1: i32, cols: i32): void {
  let r = r0
  const sb = <usize>srcStride << 2
  if (ASC_FEATURE_SIMD) {
    // 4x4 tiles: four row loads, eight shuffles, four column stores (a scalar store per element scatters by rows)
    const rb = <usize>dstStride << 2
    for (; r + 4 <= r1; r += 4) {
      const s0 = src + <usize>r * sb
      const s1 = s0 + sb, s2 = s1 + sb, s3 = s2 + sb
      let c = 0
      for (; c + 4 <= cols; c += 4) {
        const off = <usize>c << 2
        const a0 = v128.load(s0 + off), a1 = v128.load(s1 + off), a2 = v128.load(s2 + off), a3 = v128.load(s3 + off)
        const t0 = i32x4.shuffle(a0, a1, 0, 4, 1, 5), t1 = i32x4.shuffle(a0, a1, 2, 6, 3, 7)
        const t2 = i32x4.shuffle(a2, a3, 0, 4, 1, 5), t3 = i32x4.shuffle(a2, a3, 2, 6, 3, 7)
        const d = dst + (<usize>c * rb) + (<usize>r << 2)
        v128.store(d, i32x4.shuffle(t0, t2, 0, 1, 4, 5))
        v128.store(d + rb, i32x4.shuffle(t0, t2, 2, 3, 6, 7))
        v128.store(d + 2 * rb, i32x4.shuffle(t1, t3, 0, 1, 4, 5))
        v128.store(d + 3 * rb, i32x4.shuffle(t1, t3, 2, 3, 6, 7))
      }
      for (; c < cols; c++) {
        const off = <usize>c << 2
        v128.store(dst + (<usize>c * rb) + (<usize>r << 2), f32x4(load<f32>(s0 + off), load<f32>(s1 + off), load<f32>(s2 + off), load<f32>(s3 + off)))
      }
    }
  }
  for (; r < r1; r++) {
    for (let c = 0; c < cols; c++) {
      store<f32>(dst + ((<usize>(c * dstStride + r)) << 2), load<f32>(src + <usize>r * sb + (<usize>c << 2)))
    }
  }
}
