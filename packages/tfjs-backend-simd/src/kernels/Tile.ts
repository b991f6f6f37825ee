import { Tile, type KernelConfig, type TileAttrs } from '@tensorflow/tfjs-core'
import { Call } from './_call'
import { wasmKernel, type Inputs } from './_fallback'

export const tileConfig: KernelConfig = wasmKernel(Tile, ({ inputs, backend, attrs }) => {
  const { x } = inputs as unknown as Inputs<'x'>
  const { reps } = attrs as unknown as TileAttrs
  if (x.dtype !== 'float32' || x.shape.length > 4 || x.shape.length === 0) return null
  const pad = 4 - x.shape.length
  const s = [...Array(pad).fill(1), ...x.shape] as number[]
  const r = [...Array(pad).fill(1), ...reps] as number[]
  const outShape = x.shape.map((n, i) => n * reps[i]!)
  if (outShape.some((n) => n === 0)) return null
  const call = new Call(backend)
  try {
    const px = call.in(x)
    const out = call.out(outShape)
    const o = s.map((n, i) => n * r[i]!)
    const rows = o[0]! * o[1]! * o[2]!
    const parts = call.split(rows, call.threadsFor(out.size * 4))
    backend.rt.run(
      'tile_f32',
      parts.map(([q0, q1]) => [px, out.ptr, s[0]!, s[1]!, s[2]!, s[3]!, r[3]!, o[1]!, o[2]!, q0, q1]),
    )
    return call.result(out)
  } finally {
    call.finish()
  }
})
