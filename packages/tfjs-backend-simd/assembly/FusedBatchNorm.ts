import { bn_grad_sums_f32 } from './FusedTraining'

/**
 * y = (x - mean) * (scale / sqrt(variance + eps)) + offset over rows [r0, r1) of x viewed as [rows, C], with the
 * per-channel coef = [a, offset, mean] (3*C floats) from batch_norm_coef_f32.
 */
export function batch_norm_f32(x: usize, y: usize, coef: usize, C: i32, r0: i32, r1: i32): void {
  const oOff = <usize>C << 2
  const mOff = <usize>(2 * C) << 2
  for (let r = r0; r < r1; r++) {
    const xi = x + (<usize>(r * C) << 2)
    const yi = y + (<usize>(r * C) << 2)
    let c = 0
    if (ASC_FEATURE_SIMD) {
      for (; c + 4 <= C; c += 4) {
        const off = <usize>c << 2
        const d = f32x4.sub(v128.load(xi + off), v128.load(coef + mOff + off))
        v128.store(yi + off, f32x4.add(f32x4.mul(d, v128.load(coef + off)), v128.load(coef + oOff + off)))
      }
    }
    for (; c < C; c++) {
      const off = <usize>c << 2
      store<f32>(yi + off, (load<f32>(xi + off) - load<f32>(coef + mOff + off)) * load<f32>(coef + off) + load<f32>(coef + oOff + off))
    }
  }
}

/** coef = [scale/sqrt(var + eps), offset, mean]; each parameter has C values or 1 (broadcast); pointer 0 = absent. */
export function batch_norm_coef_f32(mean: usize, variance: usize, scale: usize, offset: usize, C: i32, eps: f32, coef: usize,
  meanN: i32, varN: i32, scaleN: i32, offN: i32): void {
  for (let c = 0; c < C; c++) {
    const m = load<f32>(mean + (<usize>(c % meanN) << 2))
    const v = load<f32>(variance + (<usize>(c % varN) << 2))
    const s: f32 = scale ? load<f32>(scale + (<usize>(c % scaleN) << 2)) : 1
    const o: f32 = offset ? load<f32>(offset + (<usize>(c % offN) << 2)) : 0
    store<f32>(coef + (<usize>c << 2), s / Mathf.sqrt(v + eps))
    store<f32>(coef + (<usize>(C + c) << 2), o)
    store<f32>(coef + (<usize>(2 * C + c) << 2), m)
  }
}

/**
 * Per-channel sums for the batch-norm gradient over rows [r0, r1): out[c] += Σ dy, out[C + c] += Σ dy·(x - mean)
 * (f64 totals), mean read from coef[2C..3C): the fused trainer's pass without its ReLU mask.
 */
export function batch_norm_grad_sums_f32(x: usize, dy: usize, coef: usize, C: i32, r0: i32, r1: i32, out: usize): void {
  bn_grad_sums_f32(0, 0, dy, x, coef + (<usize>(2 * C) << 2), C, 0, r0, r1, out)
}
