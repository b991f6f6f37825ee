// The convolutions benchmarked, as [name, x shape, filter shape, pad] (NHWC): by default those of @mnist/model's default
// network at the default batch 32; BENCH_MODEL=C: model C of docs/pytorch-reference.md at
// batch 64.
export type ConvShape = {
  name: string
  x: [number, number, number, number]
  f: [number, number, number, number]
  pad: 'same' | 'valid'
}
const MODEL_C = process.env.BENCH_MODEL === 'C'
export const BATCH = MODEL_C ? 64 : 32
export const MODEL_NAME = MODEL_C
  ? 'model C (docs/pytorch-reference.md), batch 64'
  : '@mnist/model default network, batch 32'
export const CONV_SHAPES: ConvShape[] = MODEL_C
  ? [
      { name: 'c1 28x28 1->8 3x3', x: [BATCH, 28, 28, 1], f: [3, 3, 1, 8], pad: 'same' },
      { name: 'c2 28x28 8->16 3x3', x: [BATCH, 28, 28, 8], f: [3, 3, 8, 16], pad: 'same' },
      { name: 'c3 14x14 16->8 1x1', x: [BATCH, 14, 14, 16], f: [1, 1, 16, 8], pad: 'same' },
      { name: 'c4 14x14 8->16 3x3', x: [BATCH, 14, 14, 8], f: [3, 3, 8, 16], pad: 'same' },
      { name: 'c5 14x14 16->32 3x3', x: [BATCH, 14, 14, 16], f: [3, 3, 16, 32], pad: 'same' },
      { name: 'c6 7x7 32->16 1x1', x: [BATCH, 7, 7, 32], f: [1, 1, 32, 16], pad: 'same' },
      { name: 'c7 7x7 16->32 3x3', x: [BATCH, 7, 7, 16], f: [3, 3, 16, 32], pad: 'same' },
      { name: 'c8 7x7 32->32 3x3 valid', x: [BATCH, 7, 7, 32], f: [3, 3, 32, 32], pad: 'valid' },
    ]
  : [
      { name: 'c1 28x28 1->8 3x3', x: [BATCH, 28, 28, 1], f: [3, 3, 1, 8], pad: 'same' },
      { name: 'c2 14x14 8->16 3x3', x: [BATCH, 14, 14, 8], f: [3, 3, 8, 16], pad: 'same' },
      { name: 'c3 7x7 16->24 3x3', x: [BATCH, 7, 7, 16], f: [3, 3, 16, 24], pad: 'same' },
      { name: 'c4 7x7 24->24 3x3', x: [BATCH, 7, 7, 24], f: [3, 3, 24, 24], pad: 'same' },
    ]

export function outShape(s: ConvShape): [number, number, number, number] {
  const [n, h, w] = s.x
  const o = s.pad === 'same' ? [h, w] : [h - s.f[0] + 1, w - s.f[1] + 1]
  return [n, o[0]!, o[1]!, s.f[3]]
}

export function convFlops(s: ConvShape): number {
  const o = outShape(s)
  return 2 * o[0] * o[1] * o[2] * o[3] * s.f[0] * s.f[1] * s.f[2]
}
