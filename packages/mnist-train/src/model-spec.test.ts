import { fusedNetworkFromSpec, type FusedModelSpec, type FusedSpecLayer } from '@mnist/backend-simd'
import { DEFAULT_MODEL_CONFIG, type LayerSpec, type ResolvedModelConfig } from '@mnist/model'
import { describe, expect, it } from 'vitest'

// @mnist/backend-simd describes the networks its fused trainer builds with a structural spec and does not depend on
// @mnist/model. These checks (run by `tsc`, i.e. `pnpm typecheck`) keep the two in step: the model's resolved config
// must be a FusedModelSpec, each layer kind the fused trainer runs must match the model's, field for field (a field
// the model adds that the fused spec does not know would otherwise be ignored silently).

type Is<A, B> = [A] extends [B] ? true : false
type NoExtraKeys<A, B> = Exclude<keyof A, keyof B> extends never ? true : false
type Kind<U, T extends string> = Extract<U, { type: T }>
type Check<K extends string> = [
  Is<Kind<LayerSpec, K>, Kind<FusedSpecLayer, K>>,
  NoExtraKeys<Kind<LayerSpec, K>, Kind<FusedSpecLayer, K>>,
]

const configIsSpec: Is<ResolvedModelConfig, FusedModelSpec> = true
const configKeysKnown: NoExtraKeys<ResolvedModelConfig, FusedModelSpec> = true
const conv: Check<'conv'> = [true, true]
const maxPool: Check<'maxPool'> = [true, true]
const flatten: Check<'flatten'> = [true, true]
const dense: Check<'dense'> = [true, true]
const dropout: Check<'dropout'> = [true, true]

describe('@mnist/model configs as fused specs', () => {
  it('type-check (see above) and translate the default architecture', () => {
    expect([configIsSpec, configKeysKnown, conv, maxPool, flatten, dense, dropout].flat().every(Boolean)).toBe(true)
    const network = fusedNetworkFromSpec(DEFAULT_MODEL_CONFIG)
    expect(network.inputShape).toEqual([28, 28, 1])
    expect(network.layers.at(-1)).toEqual({ type: 'dense', units: 10, useBias: true })
  })
})
