import { copyF32 } from './_vec'

/**
 * out = tile(x) for rank <= 4 (host pads shapes with leading 1s): x is [s0,s1,s2,s3], out is
 * [s0*r0, s1*r1, s2*r2, s3*r3]. Rows (o0, o1, o2) in [q0, q1) of the output's outer space.
 */
export function tile_f32(x: usize, out: usize, s0: i32, s1: i32, s2: i32, s3: i32, r3: i32,
  o1n: i32, o2n: i32, q0: i32, q1: i32): void {
  const O3 = s3 * r3
  for (let q = q0; q < q1; q++) {
    const o2 = q % o2n
    const t = q / o2n
    const o1 = t % o1n
    const o0 = t / o1n
    const src = x + (<usize>((((o0 % s0) * s1 + (o1 % s1)) * s2 + (o2 % s2)) * s3) << 2)
    let dst = out + (<usize>(q * O3) << 2)
    for (let r = 0; r < r3; r++) {
      copyF32(dst, src, s3)
      dst += <usize>s3 << 2
    }
  }
}
