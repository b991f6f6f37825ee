import { copyF32, addF32, zeroF32 } from './_vec'

// Geometry block written by the host (geometryInts in src/kernels/_conv.ts), one i32 each, at the GEO_* offsets of
// ./abi: 0 N, 1 H, 2 W, 3 C, 4 OH, 5 OW, 6 OC, 7 fh, 8 fw, 9 sh, 10 sw, 11 pt, 12 pl, 13 dh, 14 dw. The kernels read it
// by these literal offsets: naming them (g(geo, GEO_H)) changes Binaryen's local allocation, and so the .wasm bytes.
// @ts-ignore: decorator
@inline export function g(geo: usize, i: i32): i32 { return load<i32>(geo + (<usize>i << 2)) }

/** Valid kw range [lo, hi) for iw = iw0 + kw*dw inside [0, W). */
// @ts-ignore: decorator
@inline function kwLow(iw0: i32, dw: i32): i32 { return iw0 >= 0 ? 0 : (-iw0 + dw - 1) / dw }
// @ts-ignore: decorator
@inline function kwHigh(iw0: i32, dw: i32, W: i32, fw: i32): i32 {
  const room = W - iw0
  if (room <= 0) return 0
  const hi = (room + dw - 1) / dw
  return hi < fw ? hi : fw
}

/** col[(m - m0), K] = patches of x for output rows m in [m0, m1), K = fh*fw*C, row-major (kh, kw, c). */
export function im2col(x: usize, geo: usize, m0: i32, m1: i32, col: usize): void {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3), OH = g(geo, 4), OW = g(geo, 5)
  const fh = g(geo, 7), fw = g(geo, 8), sh = g(geo, 9), sw = g(geo, 10)
  const pt = g(geo, 11), pl = g(geo, 12), dh = g(geo, 13), dw = g(geo, 14)
  const ohw = OH * OW
  const rowLen = fw * C
  let dst = col
  // (n, oh, ow) of row m, advanced per row: integer division per row costs more than a 1-channel pixel's work
  let n = m0 / ohw
  let oh = (m0 - n * ohw) / OW
  let ow = m0 - n * ohw - oh * OW
  for (let m = m0; m < m1; m++, ow++) {
    if (ow == OW) { ow = 0; oh++; if (oh == OH) { oh = 0; n++ } }
    const ih0 = oh * sh - pt
    const iw0 = ow * sw - pl
    const lo = kwLow(iw0, dw)
    const hi = kwHigh(iw0, dw, W, fw)
    for (let kh = 0; kh < fh; kh++) {
      const ih = ih0 + kh * dh
      if (ih < 0 || ih >= H || hi <= lo) {
        zeroF32(dst, rowLen)
      } else {
        if (lo > 0) zeroF32(dst, lo * C)
        const src = x + (<usize>(((n * H + ih) * W + iw0 + lo * dw) * C) << 2)
        const d = dst + (<usize>(lo * C) << 2)
        if (dw == 1) {
          copyF32(d, src, (hi - lo) * C)
        } else {
          for (let kw = lo; kw < hi; kw++) {
            copyF32(d + (<usize>((kw - lo) * C) << 2), src + (<usize>((kw - lo) * dw * C) << 2), C)
          }
        }
        if (hi < fw) zeroF32(dst + (<usize>(hi * C) << 2), (fw - hi) * C)
      }
      dst += <usize>rowLen << 2
    }
  }
}

/** dx += scatter of col rows m in [m0, m1) (inverse of im2col). */
export function col2im(col: usize, geo: usize, m0: i32, m1: i32, dx: usize): void {
  const H = g(geo, 1), W = g(geo, 2), C = g(geo, 3), OH = g(geo, 4), OW = g(geo, 5)
  const fh = g(geo, 7), fw = g(geo, 8), sh = g(geo, 9), sw = g(geo, 10)
  const pt = g(geo, 11), pl = g(geo, 12), dh = g(geo, 13), dw = g(geo, 14)
  const ohw = OH * OW
  const rowLen = fw * C
  let src = col
  // (n, oh, ow) of row m, advanced per row: integer division per row costs more than a 1-channel pixel's work
  let n = m0 / ohw
  let oh = (m0 - n * ohw) / OW
  let ow = m0 - n * ohw - oh * OW
  for (let m = m0; m < m1; m++, ow++) {
    if (ow == OW) { ow = 0; oh++; if (oh == OH) { oh = 0; n++ } }
    const ih0 = oh * sh - pt
    const iw0 = ow * sw - pl
    const lo = kwLow(iw0, dw)
    const hi = kwHigh(iw0, dw, W, fw)
    for (let kh = 0; kh < fh; kh++) {
      const ih = ih0 + kh * dh
      if (ih >= 0 && ih < H && hi > lo) {
        const d = dx + (<usize>(((n * H + ih) * W + iw0 + lo * dw) * C) << 2)
        const s = src + (<usize>(lo * C) << 2)
        if (dw == 1) {
          addF32(d, s, (hi - lo) * C)
        } else {
          for (let kw = lo; kw < hi; kw++) {
            addF32(d + (<usize>((kw - lo) * dw * C) << 2), s + (<usize>((kw - lo) * C) << 2), C)
          }
        }
      }
      src += <usize>rowLen << 2
    }
  }
}
