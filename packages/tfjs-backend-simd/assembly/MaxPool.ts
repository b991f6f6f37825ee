import { g } from './_im2col'
import { zeroF32 } from './_vec'

// Geometry block: the conv layout (see _im2col.ts) with OC == C and fh/fw the window.

/** y rows [m0, m1) (m = (n, oh, ow)) of the max pool; padded positions never win (as in tfjs). */
export function max_pool_f32(x: usize, y: usize, geo: usize, m0: i32, m1: i32): void {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3), OH = g(geo, 4), OW = g(geo, 5)
  const fh = g(geo, 7), fw = g(geo, 8), sh = g(geo, 9), sw = g(geo, 10), pt = g(geo, 11), pl = g(geo, 12)
  const dh = g(geo, 13), dw = g(geo, 14)
  const ohw = OH * OW
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
