// The page: the drawing pad (shipped model, then the one trained here), the training panel and the engine panel.
import type { LayersModel } from '@tensorflow/tfjs-layers'
import './style.css'
import { startEngine, type EngineInfo } from './lib/backend'
import { classify, warmUp } from './lib/classify'
import { fromArtifacts } from './lib/model-transfer'
import { loadShippedModel } from './lib/pretrained'
import { settingsFromQuery } from './settings'
import { showEngine } from './ui/engine-panel'
import { createPad } from './ui/pad'
import { showPrediction } from './ui/predictions'
import { setUpTrainPanel } from './ui/train-panel'

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T
const engines: { pad?: EngineInfo; training?: EngineInfo } = {}
const renderEngines = (): void =>
  showEngine($('engine'), [
    { title: 'Drawing pad (this page)', info: engines.pad },
    { title: 'Training (Web Worker)', info: engines.training },
  ])

let model: LayersModel | undefined
// Set once a model trained in this tab is in use: the shipped model, if it loads later, must not replace it.
let trained = false
let pending = false
const pad = createPad($<HTMLCanvasElement>('pad'), () => {
  // One prediction per frame at most, however fast the pointer moves.
  if (pending || !model) return
  pending = true
  requestAnimationFrame(() => {
    pending = false
    if (model) showPrediction($<HTMLOListElement>('top3'), $<HTMLCanvasElement>('seen'), classify(model, pad.pixels()))
  })
})
$('clear').addEventListener('click', () => {
  pad.clear()
  $('top3').replaceChildren()
})

function useModel(next: LayersModel, source: string): void {
  model?.dispose()
  model = next
  const source$ = $('model-source')
  source$.textContent = source
  source$.dataset.ready = 'true'
}

async function start(): Promise<void> {
  renderEngines()
  // One 28x28 image is far below the size where splitting a kernel over workers pays off.
  performance.mark('start')
  const engine = startEngine(1, 'one 28×28 image is too small to split over workers')
  const loading = loadShippedModel(engine)
  engines.pad = await engine
  performance.mark('engine')
  renderEngines()
  const shipped = await loading
  performance.mark('model')
  // A first prediction compiles and warms the kernels, so the first stroke answers at once.
  const warmDigit = warmUp(shipped.model)
  const readyMs = performance.now()
  document.body.dataset.warmDigit = String(warmDigit)
  document.body.dataset.readyMs = String(Math.round(readyMs))
  // A run trained in this tab may have finished while the shipped model was loading: keep that one.
  if (trained) shipped.model.dispose()
  else useModel(shipped.model, `Shipped model (@mnist/model), ready ${Math.round(readyMs)} ms after page load.`)
}

setUpTrainPanel(settingsFromQuery(location.search), {
  onEngine(info) {
    engines.training = info
    renderEngines()
  },
  async onModel(artifacts, accuracy) {
    const loaded = await fromArtifacts(artifacts)
    trained = true
    useModel(loaded.model, `Model trained in this tab (test accuracy ${(accuracy * 100).toFixed(2)} %).`)
    $('model-source').dataset.trained = 'true'
  },
})

start().catch((err: unknown) => {
  $('model-source').textContent = `Could not start: ${err instanceof Error ? err.message : String(err)}`
})
