// Global average pooling over NHWC images seen as [n, HW, C] (the fused trainer's and fused inference's layer
// between the last conv and the dense head): one pass over each image, per image ranges so the host can split
// images over threads.

/**
 * y[n, c] = (Σ over the HW pixels of image n of x[n, hw, c]) / HW for images [n0, n1). Summed in f32, pixels in
 * order (the same sums with or without SIMD).
 */
export function global_avg_pool_f32(x: usize, y: usize, HW: i32, C: i32, n0: i32, n1: i32): void {
  const inv: f32 = 1 / <f32>HW
  const rowBytes = <usize>C << 2
  for (let n = n0; n < n1; n++) {
    const base = x + <usize>n * <usize>HW * rowBytes
    const out = y + <usize>n * rowBytes
    let c = 0
    if (ASC_FEATURE_SIMD) {
      const vinv = f32x4.splat(inv)
      // two 4-channel groups at a time: two independent add chains
      for (; c + 8 <= C; c += 8) {
        let s0 = f32x4.splat(0), s1 = f32x4.splat(0)
        let p = base + (<usize>c << 2)
        for (let k = 0; k < HW; k++, p += rowBytes) {
          s0 = f32x4.add(s0, v128.load(p))
          s1 = f32x4.add(s1, v128.load(p, 16))
        }
        v128.store(out + (<usize>c << 2), f32x4.mul(s0, vinv))
        v128.store(out + (<usize>c << 2), f32x4.mul(s1, vinv), 16)
      }
      for (; c + 4 <= C; c += 4) {
        let s0 = f32x4.splat(0)
        let p = base + (<usize>c << 2)
        for (let k = 0; k < HW; k++, p += rowBytes) s0 = f32x4.add(s0, v128.load(p))
        v128.store(out + (<usize>c << 2), f32x4.mul(s0, vinv))
      }
    }
    for (; c < C; c++) {
      let s: f32 = 0
      let p = base + (<usize>c << 2)
      for (let k = 0; k < HW; k++, p += rowBytes) s += load<f32>(p)
      store<f32>(out + (<usize>c << 2), s * inv)
    }
  }
}

/** Backward of global_avg_pool_f32, images [n0, n1): dx[n, hw, c] = dy[n, c] / HW for every pixel hw. */
export function global_avg_pool_grad_f32(dy: usize, dx: usize, HW: i32, C: i32, n0: i32, n1: i32): void {
  const inv: f32 = 1 / <f32>HW
  const rowBytes = <usize>C << 2
  for (let n = n0; n < n1; n++) {
    const g = dy + <usize>n * rowBytes
    let p = dx + <usize>n * <usize>HW * rowBytes
    for (let k = 0; k < HW; k++, p += rowBytes) {
      let c = 0
      if (ASC_FEATURE_SIMD) {
        const vinv = f32x4.splat(inv)
        for (; c + 4 <= C; c += 4) v128.store(p + (<usize>c << 2), f32x4.mul(v128.load(g + (<usize>c << 2)), vinv))
      }
      for (; c < C; c++) store<f32>(p + (<usize>c << 2), load<f32>(g + (<usize>c << 2)) * inv)
    }
  }
}
