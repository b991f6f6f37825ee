// "Train in this tab": form, start/stop, progress with ETA, live chart, test accuracy and confusion matrix. Talks to
// the training worker through its message protocol only.
import type { EngineInfo } from '../lib/backend'
import type { ModelArtifacts } from '../lib/model-transfer'
import type { TrainSettings } from '../settings'
import type { FromWorker, ToWorker } from '../worker/protocol'
import { createChart } from './chart'
import { showConfusion } from './confusion'

export interface TrainPanelEvents {
  onEngine(info: EngineInfo): void
  /** The page loads the trained model; a rejection is shown on the status line. */
  onModel(model: ModelArtifacts, testAccuracy: number): Promise<void> | void
}

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T

export function setUpTrainPanel(settings: TrainSettings, events: TrainPanelEvents): void {
  const form = $<HTMLFormElement>('train-form')
  const fields = {
    dataUrl: $<HTMLInputElement>('data-url'),
    trainLimit: $<HTMLInputElement>('train-limit'),
    testLimit: $<HTMLInputElement>('test-limit'),
    epochs: $<HTMLInputElement>('epochs'),
  }
  for (const [k, input] of Object.entries(fields)) input.value = String(settings[k as keyof TrainSettings])
  const trainButton = $<HTMLButtonElement>('train')
  const stopButton = $<HTMLButtonElement>('stop')
  const progress = $<HTMLProgressElement>('progress')
  const status = $<HTMLParagraphElement>('status')
  const chart = createChart($('chart'))
  let worker: Worker | undefined

  const finish = (): void => {
    worker?.terminate()
    worker = undefined
    trainButton.disabled = false
    stopButton.disabled = true
  }
  const onMessage = (m: FromWorker): void => {
    switch (m.type) {
      case 'engine':
        return events.onEngine(m.info)
      case 'data':
        progress.value = m.loadedBytes / m.totalBytes
        status.textContent = `Loading MNIST: ${(m.loadedBytes / 1e6).toFixed(1)} of ${(m.totalBytes / 1e6).toFixed(1)} MB`
        return
      case 'start':
        progress.value = 0
        status.textContent = `Training on ${m.trainImages} images, ${m.totalSteps} steps…`
        return
      case 'progress':
        progress.value = m.step / m.totalSteps
        chart.push(m.step, m.loss, m.accuracy)
        status.textContent =
          `Epoch ${m.epoch}/${m.epochs} · step ${m.step}/${m.totalSteps} · loss ${m.loss.toFixed(3)} · ` +
          `accuracy ${(m.accuracy * 100).toFixed(1)} % · ${Math.round(m.imagesPerSecond)} images/s · ETA ${Math.ceil(m.etaSeconds)} s`
        return
      case 'evaluating':
        status.textContent = 'Evaluating on the test images…'
        return
      case 'done':
        finish()
        status.dataset.state = m.interrupted ? 'stopped' : 'done'
        status.textContent = `${m.interrupted ? 'Stopped' : 'Done'} after ${m.seconds.toFixed(1)} s of training. The pad now uses this model.`
        $('test-accuracy').textContent = `${(m.testAccuracy * 100).toFixed(2)} %`
        showConfusion($<HTMLTableElement>('confusion'), m.confusion)
        $('result').hidden = false
        Promise.resolve()
          .then(() => events.onModel(m.model, m.testAccuracy))
          .catch((err: unknown) => {
            status.dataset.state = 'error'
            status.textContent = `Could not use the trained model: ${err instanceof Error ? err.message : String(err)}`
          })
        return
      case 'stopped':
        finish()
        progress.value = 0
        status.dataset.state = 'stopped'
        status.textContent = 'Stopped before training started.'
        return
      case 'error':
        finish()
        status.dataset.state = 'error'
        status.textContent = `Error: ${m.message}`
    }
  }

  form.addEventListener('submit', (e) => {
    e.preventDefault()
    if (worker) return
    chart.reset()
    $('result').hidden = true
    delete status.dataset.state
    worker = new Worker(new URL('../worker/train.worker.ts', import.meta.url), { type: 'module' })
    worker.onmessage = (ev: MessageEvent<FromWorker>) => onMessage(ev.data)
    worker.onerror = (ev) => onMessage({ type: 'error', message: ev.message || 'the training worker failed to start' })
    const request: ToWorker = {
      type: 'train',
      dataUrl: new URL(fields.dataUrl.value, location.href).href,
      trainLimit: Number(fields.trainLimit.value),
      testLimit: Number(fields.testLimit.value),
      epochs: Number(fields.epochs.value),
    }
    worker.postMessage(request)
    trainButton.disabled = true
    stopButton.disabled = false
    status.textContent = 'Starting the worker…'
  })
  stopButton.addEventListener('click', () => {
    worker?.postMessage({ type: 'stop' } satisfies ToWorker)
    stopButton.disabled = true
    status.textContent = 'Stopping…'
  })
}
