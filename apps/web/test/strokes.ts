// Mouse paths of clear digits, in units of the pad (0..1 on each side).
export type Stroke = [number, number][]

export const DIGIT_STROKES: Record<number, Stroke[]> = {
  1: [
    [
      [0.42, 0.28],
      [0.52, 0.18],
      [0.52, 0.5],
      [0.52, 0.82],
    ],
  ],
  7: [
    [
      [0.28, 0.2],
      [0.5, 0.2],
      [0.72, 0.2],
      [0.6, 0.45],
      [0.5, 0.65],
      [0.42, 0.84],
    ],
  ],
  0: [
    Array.from({ length: 33 }, (_, i): [number, number] => {
      const a = (i / 32) * 2 * Math.PI
      return [0.5 + 0.2 * Math.sin(a), 0.5 - 0.3 * Math.cos(a)]
    }),
  ],
}
