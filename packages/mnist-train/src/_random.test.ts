import { mixSeed as dataMixSeed } from '@mnist/data'
import { describe, expect, it } from 'vitest'
import { mixSeed, STREAM, streamRng, withSeededMathRandom } from './_random'

describe('trainer random streams', () => {
  it("use @mnist/data's seed mixer, not a copy", () => {
    expect(mixSeed).toBe(dataMixSeed)
  })

  it('give the numbers recorded before the RNG moved to @mnist/data (training stays bit-identical)', () => {
    const take = (r: () => number): number[] => [r(), r(), r()]
    expect(take(streamRng(42, STREAM.shuffle, 0))).toEqual([
      0.23055028705857694, 0.8009476186707616, 0.26563144265674055,
    ])
    expect(take(streamRng(42, STREAM.ops, -1))).toEqual([0.5746433287858963, 0.2731424793601036, 0.7877881943713874])
    expect(take(streamRng(0, STREAM.augment, 99))).toEqual([0.8994239373132586, 0.8369280020706356, 0.693945090752095])
    expect(mixSeed(42, STREAM.augment, 17)).toBe(1644130790)
  })

  it('withSeededMathRandom swaps Math.random only while fn runs, also when it throws', () => {
    const original = Math.random
    expect(
      withSeededMathRandom(
        () => 0.25,
        () => Math.random(),
      ),
    ).toBe(0.25)
    expect(Math.random).toBe(original)
    expect(() =>
      withSeededMathRandom(
        () => 0.5,
        () => {
          throw new RangeError('boom')
        },
      ),
    ).toThrow('boom')
    expect(Math.random).toBe(original)
  })
})
