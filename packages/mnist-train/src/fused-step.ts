import * as tf from '@tensorflow/tfjs-core'
import type { LayersModel } from '@tensorflow/tfjs-layers'
import { FusedNetworkError, FusedTrainer, type FusedLayer, type FusedNetwork, type FusedStepResult } from '@mnist/backend-simd'
import type { AdamW } from './adamw'

/** The model as the fused trainer's network, and for each fused layer the index of the model layer it came from. */
export interface FusedTranslation {
  network: FusedNetwork
  sourceLayer: number[]
}

type LayerConfig = Record<string, unknown>

/**
 * Translates a tfjs-layers Sequential model (Conv2D, BatchNormalization, Activation, MaxPooling2D, Flatten, Dropout,
 * Dense with linear / ReLU activations) into a FusedNetwork. Throws FusedNetworkError naming the first layer the fused
 * step cannot run (the trainer then uses the tfjs step).
 */
export function translateModel(model: LayersModel): FusedTranslation {
  const input = model.inputs[0]?.shape
  if (!input || input.length !== 4 || input.slice(1).some((d) => typeof d !== 'number')) {
    throw new FusedNetworkError('inputShape', `expected an image input [batch, h, w, c], found ${JSON.stringify(input)}`)
  }
  const layers: FusedLayer[] = []
  const sourceLayer: number[] = []
  const push = (layer: FusedLayer, from: number): void => {
    layers.push(layer)
    sourceLayer.push(from)
  }
  model.layers.forEach((layer, i) => {
    const cls = layer.getClassName()
    const c = layer.getConfig() as LayerConfig
    const where = `layer ${layer.name} (${cls})`
    const activation = (): void => {
      const act = c['activation']
      if (act === 'relu') push({ type: 'relu' }, i)
      else if (act !== 'linear' && act !== undefined) throw new FusedNetworkError(where, `activation ${JSON.stringify(act)} (the fused step has relu and linear)`)
    }
    switch (cls) {
      case 'Conv2D': {
        if (c['dataFormat'] !== 'channelsLast' || !isOnes(c['dilationRate'])) throw new FusedNetworkError(where, 'only channelsLast without dilation')
        push({
          type: 'conv2d',
          filters: c['filters'] as number,
          kernelSize: pair(c['kernelSize']),
          strides: pair(c['strides']),
          padding: c['padding'] as 'same' | 'valid',
          useBias: c['useBias'] as boolean,
        }, i)
        activation()
        break
      }
      case 'Dense':
        push({ type: 'dense', units: c['units'] as number, useBias: c['useBias'] as boolean }, i)
        activation()
        break
      case 'BatchNormalization': {
        const axis = c['axis']
        if (!(axis === -1 || (Array.isArray(axis) && axis.length === 1 && axis[0] === -1)) || c['center'] === false || c['scale'] === false) {
          throw new FusedNetworkError(where, 'only axis -1 with center and scale')
        }
        push({ type: 'batchNorm', epsilon: c['epsilon'] as number, momentum: c['momentum'] as number }, i)
        break
      }
      case 'Activation':
        activation()
        break
      case 'MaxPooling2D':
        if (c['padding'] !== 'valid' || c['dataFormat'] !== 'channelsLast') throw new FusedNetworkError(where, "only 'valid' padding, channelsLast")
        push({ type: 'maxPool', poolSize: pair(c['poolSize']), strides: pair(c['strides'] ?? c['poolSize']) }, i)
        break
      case 'Flatten':
        push({ type: 'flatten' }, i)
        break
      case 'Dropout':
        if (c['noiseShape'] != null) throw new FusedNetworkError(where, 'noiseShape is not supported')
        push({ type: 'dropout', rate: c['rate'] as number }, i)
        break
      default:
        throw new FusedNetworkError(where, 'layer type not supported by the fused step')
    }
  })
  return { network: { inputShape: input.slice(1) as [number, number, number], layers }, sourceLayer }
}

function pair(v: unknown): [number, number] {
  return Array.isArray(v) ? [v[0] as number, (v[1] ?? v[0]) as number] : [v as number, v as number]
}

function isOnes(v: unknown): boolean {
  return v === undefined || v === 1 || (Array.isArray(v) && v.every((d) => d === 1))
}

const WEIGHT_SUFFIX = {
  kernel: 'kernel',
  bias: 'bias',
  gamma: 'gamma',
  beta: 'beta',
  movingMean: 'moving_mean',
  movingVariance: 'moving_variance',
} as const

/**
 * A FusedTrainer bound to a tfjs-layers model: the model's weights, batch-norm statistics and the AdamW state are
 * copied in at the start and copied back by `syncToModel` (before evaluation, checkpoints and the end of training).
 */
export class FusedStep {
  private readonly trainer: FusedTrainer
  private readonly params: tf.Variable[]
  private readonly states: tf.Variable[]
  /** Steps were trained since the last syncToModel (evaluation and the checkpoint right after it share one copy). */
  private dirty = false

  constructor(private readonly model: LayersModel, batchSize: number, labelSmoothing: number) {
    const { network, sourceLayer } = translateModel(model)
    this.trainer = new FusedTrainer(network, { batchSize, labelSmoothing })
    const find = (layer: number, name: keyof typeof WEIGHT_SUFFIX): tf.Variable => {
      const source = model.layers[sourceLayer[layer]!]!
      const suffix = `/${WEIGHT_SUFFIX[name]}`
      const weight = source.weights.find((w) => w.originalName.endsWith(suffix) || w.name.endsWith(suffix))
      if (!weight) throw new FusedNetworkError(`layer ${source.name}`, `has no ${WEIGHT_SUFFIX[name]} weight`)
      return weight.read() as tf.Variable
    }
    this.params = this.trainer.paramSpecs.map((s) => find(s.layer, s.name))
    this.states = this.trainer.stateSpecs.map((s) => find(s.layer, s.name))
    // The optimiser's slots follow model.trainableWeights: the fused order must be the same variables.
    const trainable = model.trainableWeights.map((w) => w.read().id)
    if (trainable.length !== this.params.length || this.params.some((v, i) => v.id !== trainable[i])) {
      this.trainer.dispose()
      throw new FusedNetworkError('weights', 'the fused parameter order differs from the model’s trainable weights')
    }
  }

  /** Copies weights, moving statistics and the optimiser state from the model and `optimizer` into wasm memory. */
  loadFromModel(optimizer: AdamW): void {
    this.trainer.setWeights(this.params.map((v) => v.dataSync() as Float32Array))
    this.trainer.setStates(this.states.map((v) => v.dataSync() as Float32Array))
    const state = optimizer.getState()
    this.trainer.setOptimizerState({ step: state.step, m: state.slots.map((s) => s.m), v: state.slots.map((s) => s.v) })
  }

  /** One step on `size` images: forward, backward and an AdamW update with the optimiser's current hyper-parameters. */
  train(images: Float32Array, labels: Uint8Array, size: number, dropoutSeed: number, optimizer: AdamW): FusedStepResult {
    this.dirty = true
    return this.trainer.trainStep(
      { images, labels, size, dropoutSeed },
      {
        learningRate: optimizer.learningRate,
        beta1: optimizer.beta1,
        beta2: optimizer.beta2,
        epsilon: optimizer.epsilon,
        weightDecay: optimizer.weightDecay,
      },
    )
  }

  /** Copies the trained weights, moving statistics and optimiser state back into the model and `optimizer`. */
  syncToModel(optimizer: AdamW): void {
    if (!this.dirty) return
    this.dirty = false
    const assign = (vars: tf.Variable[], values: Float32Array[]): void => {
      vars.forEach((v, i) => {
        const t = tf.tensor(values[i]!, v.shape, 'float32')
        v.assign(t)
        t.dispose()
      })
    }
    assign(this.params, this.trainer.getWeights())
    assign(this.states, this.trainer.getStates())
    const state = this.trainer.getOptimizerState()
    const current = optimizer.getState()
    optimizer.setState({
      step: state.step,
      slots: current.slots.map((slot, i) => ({ ...slot, m: state.m[i]!, v: state.v[i]! })),
    })
  }

  dispose(): void {
    this.trainer.dispose()
  }
}

