import { g } from './_im2col'
import { zeroF32 } from './_vec'

// Geometry block: the conv layout (see _im2col.ts) with OC == C and fh/fw the window.

/** y rows [m0, m1) (m = (n, oh, ow)) of the max pool; padded positions never win (as in tfjs). */
export function max_pool_f32(x: usize, y: usize, geo: usize, m0: i32, m1: i32): void {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3), OH = g(geo, 4), OW = g(geo, 5)
  const fh = g(geo, 7), fw = g(geo, 8), sh = g(geo, 9), sw = g(geo, 10), pt = g(geo, 11), pl = g(geo, 12)
  const dh = g(geo, 13), dw = g(geo, 14)
  const ohw = OH * OW
  if (ASC_FEATURE_SIMD && isPool2x2(geo)) {
    maxPool2x2Rows(x, y, geo, m0, m1)
    return
  }
  // (n, oh, ow) of row m, advanced per row: integer division per row costs more than a 1-channel pixel's work
  let n = m0 / ohw
  let oh = (m0 - n * ohw) / OW
  let ow = m0 - n * ohw - oh * OW
  for (let m = m0; m < m1; m++, ow++) {
    if (ow == OW) { ow = 0; oh++; if (oh == OH) { oh = 0; n++ } }
    const out = y + (<usize>(m * C) << 2)
    let c0 = 0
    if (ASC_FEATURE_SIMD) {
      for (; c0 + 4 <= C; c0 += 4) {
        let best = f32x4.splat(-Infinity)
        for (let kh = 0; kh < fh; kh++) {
          const ih = oh * sh - pt + kh * dh
          if (ih < 0 || ih >= H) continue
          for (let kw = 0; kw < fw; kw++) {
            const iw = ow * sw - pl + kw * dw
            if (iw < 0 || iw >= W) continue
            const v = v128.load(x + (<usize>(((n * H + ih) * W + iw) * C + c0) << 2))
            best = v128.bitselect(v, best, f32x4.gt(v, best))
          }
        }
        v128.store(out + (<usize>c0 << 2), best)
      }
    }
    for (let c = c0; c < C; c++) {
      let best: f32 = -Infinity
      for (let kh = 0; kh < fh; kh++) {
        const ih = oh * sh - pt + kh * dh
        if (ih < 0 || ih >= H) continue
        for (let kw = 0; kw < fw; kw++) {
          const iw = ow * sw - pl + kw * dw
          if (iw < 0 || iw >= W) continue
          const v = load<f32>(x + (<usize>(((n * H + ih) * W + iw) * C + c) << 2))
          if (v > best) best = v
        }
      }
      store<f32>(out + (<usize>c << 2), best)
    }
  }
}

/**
 * dx for images [n0, n1): each dy goes to the first maximum of its window in (kh, kw) order, the position
 * tfjs's cpu kernel picks, so ties (zeros after ReLU) route the gradient the same way.
 */
export function max_pool_grad_f32(dy: usize, x: usize, dx: usize, geo: usize, n0: i32, n1: i32): void {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3), OH = g(geo, 4), OW = g(geo, 5)
  const fh = g(geo, 7), fw = g(geo, 8), sh = g(geo, 9), sw = g(geo, 10), pt = g(geo, 11), pl = g(geo, 12)
  const dh = g(geo, 13), dw = g(geo, 14)
  if (ASC_FEATURE_SIMD && isPool2x2(geo)) {
    maxPoolGrad2x2(x, dx, dy, geo, n0, n1)
    return
  }
  zeroF32(dx + (<usize>(n0 * H * W * C) << 2), (n1 - n0) * H * W * C)
  for (let n = n0; n < n1; n++) {
    for (let oh = 0; oh < OH; oh++) {
      for (let ow = 0; ow < OW; ow++) {
        const gy = dy + (<usize>(((n * OH + oh) * OW + ow) * C) << 2)
        let c0 = 0
        if (ASC_FEATURE_SIMD) {
          for (; c0 + 4 <= C; c0 += 4) {
            let best = f32x4.splat(-Infinity)
            let at = i32x4.splat(-1)
            for (let kh = 0; kh < fh; kh++) {
              const ih = oh * sh - pt + kh * dh
              if (ih < 0 || ih >= H) continue
              for (let kw = 0; kw < fw; kw++) {
                const iw = ow * sw - pl + kw * dw
                if (iw < 0 || iw >= W) continue
                const idx = ((n * H + ih) * W + iw) * C + c0
                const v = v128.load(x + (<usize>idx << 2))
                const gt = f32x4.gt(v, best)
                best = v128.bitselect(v, best, gt)
                at = v128.bitselect(i32x4.splat(idx), at, gt)
              }
            }
            const g4 = v128.load(gy + (<usize>c0 << 2))
            const a0 = i32x4.extract_lane(at, 0), a1 = i32x4.extract_lane(at, 1)
            const a2 = i32x4.extract_lane(at, 2), a3 = i32x4.extract_lane(at, 3)
            if (a0 >= 0) { const p = dx + (<usize>(a0 + 0) << 2); store<f32>(p, load<f32>(p) + f32x4.extract_lane(g4, 0)) }
            if (a1 >= 0) { const p = dx + (<usize>(a1 + 1) << 2); store<f32>(p, load<f32>(p) + f32x4.extract_lane(g4, 1)) }
            if (a2 >= 0) { const p = dx + (<usize>(a2 + 2) << 2); store<f32>(p, load<f32>(p) + f32x4.extract_lane(g4, 2)) }
            if (a3 >= 0) { const p = dx + (<usize>(a3 + 3) << 2); store<f32>(p, load<f32>(p) + f32x4.extract_lane(g4, 3)) }
          }
        }
        for (let c = c0; c < C; c++) {
          let best: f32 = -Infinity
          let at: i32 = -1
          for (let kh = 0; kh < fh; kh++) {
            const ih = oh * sh - pt + kh * dh
            if (ih < 0 || ih >= H) continue
            for (let kw = 0; kw < fw; kw++) {
              const iw = ow * sw - pl + kw * dw
              if (iw < 0 || iw >= W) continue
              const idx = ((n * H + ih) * W + iw) * C + c
              const v = load<f32>(x + (<usize>idx << 2))
              if (v > best) { best = v; at = idx }
            }
          }
          if (at >= 0) {
            const p = dx + (<usize>at << 2)
            store<f32>(p, load<f32>(p) + load<f32>(gy + (<usize>c << 2)))
          }
        }
      }
    }
  }
}

/** 2x2 windows, stride 2, no padding, even H and W, C a multiple of 4: every input pixel is in exactly one window. */
function isPool2x2(geo: usize): bool {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3)
  return g(geo, 7) == 2 && g(geo, 8) == 2 && g(geo, 9) == 2 && g(geo, 10) == 2 && g(geo, 11) == 0 && g(geo, 12) == 0
    && g(geo, 13) == 1 && g(geo, 14) == 1 && (H & 1) == 0 && (W & 1) == 0 && g(geo, 4) * 2 == H && g(geo, 5) * 2 == W && (C & 3) == 0
}

/** Output rows [m0, m1) (m = (n, oh, ow)) of a 2x2 / stride 2 max pool (same comparisons as the generic path). */
function maxPool2x2Rows(x: usize, y: usize, geo: usize, m0: i32, m1: i32): void {
  const W = g(geo, 2), C = g(geo, 3), OH = g(geo, 4), OW = g(geo, 5)
  const row = <usize>(W * C) << 2
  const px = <usize>C << 2
  const ninf = f32x4.splat(-Infinity)
  const ohw = OH * OW
  let n = m0 / ohw
  let oh = (m0 - n * ohw) / OW
  let ow = m0 - n * ohw - oh * OW
  for (let m = m0; m < m1; m++, ow++) {
    if (ow == OW) { ow = 0; oh++; if (oh == OH) { oh = 0; n++ } }
    const p = x + (<usize>(((n * OH * 2 + oh * 2) * W + ow * 2) * C) << 2)
    const o = y + (<usize>(m * C) << 2)
    for (let c = 0; c < C; c += 4) {
      const off = <usize>c << 2
      let best = v128.bitselect(v128.load(p + off), ninf, f32x4.gt(v128.load(p + off), ninf))
      const b = v128.load(p + px + off)
      best = v128.bitselect(b, best, f32x4.gt(b, best))
      const d = v128.load(p + row + off)
      best = v128.bitselect(d, best, f32x4.gt(d, best))
      const e = v128.load(p + row + px + off)
      best = v128.bitselect(e, best, f32x4.gt(e, best))
      v128.store(o + off, best)
    }
  }
}

/**
 * Backward of the 2x2 / stride 2 max pool for images [n0, n1): each window's dy goes to its first maximum in
 * (kh, kw) order and the other three get 0, so dx needs no zeroing pass (NaN never wins, as in the generic path).
 */
function maxPoolGrad2x2(x: usize, out: usize, dy: usize, geo: usize, n0: i32, n1: i32): void {
  const W = g(geo, 2), C = g(geo, 3), OH = g(geo, 4), OW = g(geo, 5)
  const row = <usize>(W * C) << 2
  const px = <usize>C << 2
  const ninf = f32x4.splat(-Infinity)
  for (let n = n0; n < n1; n++) {
    for (let oh = 0; oh < OH; oh++) {
      const base = (<usize>((n * OH * 2 + oh * 2) * W * C)) << 2
      const obase = (<usize>((n * OH + oh) * OW * C)) << 2
      for (let ow = 0; ow < OW; ow++) {
        const p = x + base + (<usize>(ow * 2 * C) << 2)
        const o = dy + obase + (<usize>(ow * C) << 2)
        for (let c = 0; c < C; c += 4) {
          const off = <usize>c << 2
          const a = v128.load(p + off)
          const b = v128.load(p + px + off)
          const d = v128.load(p + row + off)
          const e = v128.load(p + row + px + off)
          const ga = f32x4.gt(a, ninf)
          let best = v128.bitselect(a, ninf, ga)
          const gb = f32x4.gt(b, best)
          best = v128.bitselect(b, best, gb)
          const gd = f32x4.gt(d, best)
          best = v128.bitselect(d, best, gd)
          const ge = f32x4.gt(e, best)
          best = v128.bitselect(e, best, ge)
          // the first maximum is where the last winning comparison happened
          const g4 = v128.load(o + off)
          const q = p + off - x + out
          v128.store(q, v128.and(g4, v128.andnot(ga, v128.or(gb, v128.or(gd, ge)))))
          v128.store(q + px, v128.and(g4, v128.andnot(gb, v128.or(gd, ge))))
          v128.store(q + row, v128.and(g4, v128.andnot(gd, ge)))
          v128.store(q + row + px, v128.and(g4, ge))
        }
      }
    }
  }
}
