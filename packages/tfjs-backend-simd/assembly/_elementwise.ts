// Elementwise binary and unary kernels over broadcast-collapsed 4-D index spaces.

import {
  OP_ADD, OP_SUB, OP_MUL, OP_DIV, OP_MAX, OP_MIN, OP_SQUARE_GRAD, OP_RELU_GRAD,
  U_RELU, U_NEG, U_SQUARE, U_SQRT, U_RSQRT, U_ABS, U_STEP, U_RECIPROCAL, U_RELU6, U_LEAKY, U_LINEAR,
} from './abi'

// @ts-ignore: decorator
@inline function vop(op: i32, x: v128, y: v128): v128 {
  switch (op) {
    case OP_ADD: return f32x4.add(x, y)
    case OP_SUB: return f32x4.sub(x, y)
    case OP_MUL: return f32x4.mul(x, y)
    case OP_DIV: return f32x4.div(x, y)
    case OP_MAX: return f32x4.pmax(x, y)
    case OP_MIN: return f32x4.pmin(x, y)
    case OP_SQUARE_GRAD: return f32x4.mul(f32x4.mul(x, y), f32x4.splat(2))
    case OP_RELU_GRAD: {
      const s = v128.bitselect(f32x4.splat(1), f32x4.splat(0), f32x4.gt(y, f32x4.splat(0)))
      return f32x4.mul(x, v128.bitselect(y, s, f32x4.ne(y, y)))
    }
    default: { const d = f32x4.sub(x, y); return f32x4.mul(d, d) }
  }
}

// @ts-ignore: decorator
@inline function sop(op: i32, x: f32, y: f32): f32 {
  switch (op) {
    case OP_ADD: return x + y
    case OP_SUB: return x - y
    case OP_MUL: return x * y
    case OP_DIV: return x / y
    // NaN-propagating like the CPU kernels (Math.max / Math.min)
    case OP_MAX: return x != x || y != y ? NaN : (x > y ? x : y)
    case OP_MIN: return x != x || y != y ? NaN : (x < y ? x : y)
    case OP_SQUARE_GRAD: return x * y * 2
    case OP_RELU_GRAD: return x * (y != y ? NaN : (y > 0 ? <f32>1 : <f32>0))
    default: { const d = x - y; return d * d }
  }
}

// Inlined into the row loop: rows are often short (one pixel's channels), a call per row would dominate.
// @ts-ignore: decorator
@inline function inner(op: i32, a: usize, as: i32, b: usize, bs: i32, o: usize, n: i32): void {
  let i = 0
  if (ASC_FEATURE_SIMD && op != OP_MAX && op != OP_MIN) {
    if (as == 1 && bs == 1) {
      for (; i + 4 <= n; i += 4) {
        const off = <usize>i << 2
        v128.store(o + off, vop(op, v128.load(a + off), v128.load(b + off)))
      }
    } else if (as == 1) {
      const y = v128.load32_splat(b)
      for (; i + 4 <= n; i += 4) {
        const off = <usize>i << 2
        v128.store(o + off, vop(op, v128.load(a + off), y))
      }
    } else if (bs == 1) {
      const x = v128.load32_splat(a)
      for (; i + 4 <= n; i += 4) {
        const off = <usize>i << 2
        v128.store(o + off, vop(op, x, v128.load(b + off)))
      }
    }
  }
  for (; i < n; i++) {
    store<f32>(o + (<usize>i << 2), sop(op, load<f32>(a + (<usize>(i * as) << 2)), load<f32>(b + (<usize>(i * bs) << 2))))
  }
}

/**
 * out[i0,i1,i2,i3] = a[Σ ik*ask] op b[Σ ik*bsk], out contiguous [n0,n1,n2,n3]; a stride of 0 broadcasts.
 * Outer rows [r0, r1) of the flattened (i0,i1,i2) space, so threads can split the work.
 */
export function binary_f32(op: i32, a: usize, b: usize, out: usize, n0: i32, n1: i32, n2: i32, n3: i32,
  as0: i32, as1: i32, as2: i32, as3: i32, bs0: i32, bs1: i32, bs2: i32, bs3: i32, r0: i32, r1: i32): void {
  // row indices advanced per row (no integer division per row: rows are often a single pixel's channels)
  let i2 = r0 % n2
  let i1 = (r0 / n2) % n1
  let i0 = r0 / n2 / n1
  for (let r = r0; r < r1; r++) {
    const pa = a + (<usize>(i0 * as0 + i1 * as1 + i2 * as2) << 2)
    const pb = b + (<usize>(i0 * bs0 + i1 * bs1 + i2 * bs2) << 2)
    inner(op, pa, as3, pb, bs3, out + (<usize>(r * n3) << 2), n3)
    if (++i2 == n2) { i2 = 0; if (++i1 == n1) { i1 = 0; i0++ } }
  }
  void n0
}


// @ts-ignore: decorator
@inline function uvec(op: i32, x: v128, p: v128): v128 {
  switch (op) {
    case U_RELU: return f32x4.max(x, f32x4.splat(0))
    case U_NEG: return f32x4.neg(x)
    case U_SQUARE: return f32x4.mul(x, x)
    case U_SQRT: return f32x4.sqrt(x)
    case U_RSQRT: return f32x4.div(f32x4.splat(1), f32x4.sqrt(x))
    case U_ABS: return f32x4.abs(x)
    case U_RECIPROCAL: return f32x4.div(f32x4.splat(1), x)
    case U_RELU6: return f32x4.min(f32x4.max(x, f32x4.splat(0)), f32x4.splat(6))
    case U_LEAKY: return v128.bitselect(x, f32x4.mul(x, p), f32x4.gt(x, f32x4.splat(0)))
    default: return x
  }
}

// @ts-ignore: decorator
@inline function uscalar(op: i32, x: f32, p: f32): f32 {
  switch (op) {
    case U_RELU: return x < 0 ? 0 : x
    case U_NEG: return -x
    case U_SQUARE: return x * x
    case U_SQRT: return Mathf.sqrt(x)
    case U_RSQRT: return 1 / Mathf.sqrt(x)
    case U_ABS: return Mathf.abs(x)
    case U_STEP: return x != x ? NaN : (x > 0 ? 1 : p)
    case U_RECIPROCAL: return 1 / x
    case U_RELU6: return x < 0 ? 0 : (x > 6 ? 6 : x)
    case U_LEAKY: return x > 0 ? x : x * p
    default: return x
  }
}

/** out[i] = f(x[i]) for i in [i0, i1); `param` is Step's alpha / LeakyRelu's alpha. NaN stays NaN (like tfjs cpu). */
export function unary_f32(op: i32, x: usize, out: usize, param: f32, i0: i32, i1: i32): void {
  let i = i0
  // relu/relu6 via max/min would turn NaN into 0 on some engines: keep NaN-exact ops to the scalar path.
  if (ASC_FEATURE_SIMD && op != U_STEP && op != U_RELU && op != U_RELU6) {
    const p = f32x4.splat(param)
    for (; i + 4 <= i1; i += 4) {
      const off = <usize>i << 2
      v128.store(out + off, uvec(op, v128.load(x + off), p))
    }
  }
  if (ASC_FEATURE_SIMD && (op == U_RELU || op == U_RELU6)) {
    const z = f32x4.splat(0)
    const six = f32x4.splat(6)
    for (; i + 4 <= i1; i += 4) {
      const off = <usize>i << 2
      const v = v128.load(x + off)
      // lanes < 0 -> 0, NaN lanes keep NaN (comparison with NaN is false)
      let r = v128.bitselect(z, v, f32x4.lt(v, z))
      if (op == U_RELU6) r = v128.bitselect(six, r, f32x4.gt(r, six))
      v128.store(out + off, r)
    }
  }
  if (ASC_FEATURE_SIMD && op == U_STEP) {
    const z = f32x4.splat(0)
    const one = f32x4.splat(1)
    const p = f32x4.splat(param)
    for (; i + 4 <= i1; i += 4) {
      const off = <usize>i << 2
      const v = v128.load(x + off)
      const r = v128.bitselect(one, p, f32x4.gt(v, z))
      // NaN lanes (v != v) stay NaN
      v128.store(out + off, v128.bitselect(v, r, f32x4.ne(v, v)))
    }
  }
  for (; i < i1; i++) {
    store<f32>(out + (<usize>i << 2), uscalar(op, load<f32>(x + (<usize>i << 2)), param))
  }
}

/**
 * y[r, c] = act(y[r, c] + bias[c]) for rows [r0, r1) of a [rows, C] matrix (the epilogue of FusedConv2D /
 * _FusedMatMul); hasBias 0 skips the add.
 */
export function bias_act_f32(y: usize, bias: usize, hasBias: i32, C: i32, act: i32, alpha: f32, r0: i32, r1: i32): void {
  for (let r = r0; r < r1; r++) {
    const row = y + (<usize>(r * C) << 2)
    if (hasBias) {
      let c = 0
      if (ASC_FEATURE_SIMD) {
        for (; c + 4 <= C; c += 4) {
          const off = <usize>c << 2
          v128.store(row + off, f32x4.add(v128.load(row + off), v128.load(bias + off)))
        }
      }
      for (; c < C; c++) {
        const off = <usize>c << 2
        store<f32>(row + off, load<f32>(row + off) + load<f32>(bias + off))
      }
    }
    if (act != U_LINEAR) unary_f32(act, row, row, alpha, 0, C)
  }
}
