// Reductions over the middle axis of a collapsed [A, R, B] view: out[a, b] = op over r of x[a, r, b].

import { R_SUM, R_MAX, R_MIN } from './abi'

// @ts-ignore: decorator
@inline function sred(op: i32, acc: f32, x: f32): f32 {
  switch (op) {
    case R_SUM: return acc + x
    case R_MAX: return x != x || acc != acc ? NaN : (x > acc ? x : acc)
    case R_MIN: return x != x || acc != acc ? NaN : (x < acc ? x : acc)
    default: return acc * x
  }
}

// @ts-ignore: decorator
@inline function init(op: i32): f32 {
  switch (op) {
    case R_SUM: return 0
    case R_MAX: return -Infinity
    case R_MIN: return Infinity
    default: return 1
  }
}

/** Rows a in [a0, a1); `scale` multiplies every result (1/R for Mean). */
export function reduce_f32(op: i32, x: usize, out: usize, A: i32, R: i32, B: i32, scale: f32, a0: i32, a1: i32): void {
  const i0 = init(op)
  for (let a = a0; a < a1; a++) {
    const base = x + (<usize>(a * R * B) << 2)
    const o = out + (<usize>(a * B) << 2)
    if (B == 1) {
      // contiguous run: 4 partial sums for sums, scalar otherwise
      let i = 0
      let acc = i0
      if (ASC_FEATURE_SIMD && op == R_SUM) {
        let v = f32x4.splat(0)
        for (; i + 4 <= R; i += 4) v = f32x4.add(v, v128.load(base + (<usize>i << 2)))
        acc = (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3))
      }
      for (; i < R; i++) acc = sred(op, acc, load<f32>(base + (<usize>i << 2)))
      store<f32>(o, acc * scale)
      continue
    }
    let b = 0
    if (ASC_FEATURE_SIMD && op == R_SUM) {
      for (; b + 4 <= B; b += 4) {
        let v = f32x4.splat(0)
        let p = base + (<usize>b << 2)
        const step = <usize>B << 2
        for (let r = 0; r < R; r++) {
          v = f32x4.add(v, v128.load(p))
          p += step
        }
        v128.store(o + (<usize>b << 2), f32x4.mul(v, f32x4.splat(scale)))
      }
    }
    for (; b < B; b++) {
      let acc = i0
      let p = base + (<usize>b << 2)
      const step = <usize>B << 2
      for (let r = 0; r < R; r++) {
        acc = sred(op, acc, load<f32>(p))
        p += step
      }
      store<f32>(o + (<usize>b << 2), acc * scale)
    }
  }
}
