import cliProgress from 'cli-progress'
import type { TrainProgress } from '@mnist/train'

// How `mnist train` shows progress on stderr.

export interface ProgressView {
  download(file: string, bytes: number, total: number | undefined): void
  step(p: TrainProgress): void
  evaluating(epoch: number, images: number, what?: string): void
  interrupt(): void
  clear(): void
  stop(): void
}

/** A bar on a TTY (stderr), else a plain line every 10 % of an epoch or every 15 s, whichever comes first. */
export function createProgressView(json: boolean): ProgressView {
  return process.stderr.isTTY ? ttyProgress() : plainProgress(json)
}

/** A cli-progress bar per epoch on stderr; downloads and evaluation as one rewritten line. */
function ttyProgress(): ProgressView {
  const bar = new cliProgress.SingleBar(
    {
      stream: process.stderr,
      format: 'epoch {epoch} |{bar}| {value}/{total} | loss {loss} | acc {acc} | {rate} img/s | ETA {eta_h}',
      etaBuffer: 50,
      hideCursor: true,
      clearOnComplete: true,
      barsize: 24,
      fps: 8,
    },
    cliProgress.Presets.shades_classic,
  )
  let running = false
  let epochShown = 0
  return {
    download(file, bytes, total) {
      process.stderr.write(
        `\r\x1b[Kdownloading ${file}: ${(bytes / 1048576).toFixed(1)}${total ? ` / ${(total / 1048576).toFixed(1)}` : ''} MB`,
      )
    },
    step(p) {
      const payload = {
        epoch: `${p.epoch}/${p.epochs}`,
        loss: p.loss.toFixed(4),
        acc: `${(p.accuracy * 100).toFixed(1)}%`,
        rate: Math.round(p.imagesPerSecond).toLocaleString('en-US'),
        eta_h: duration(p.etaSeconds),
      }
      if (!running || epochShown !== p.epoch) {
        if (running) bar.stop()
        bar.start(p.batches, p.batch, payload)
        running = true
        epochShown = p.epoch
      } else {
        bar.update(p.batch, payload)
      }
    },
    evaluating(epoch, images, what = 'test') {
      if (running) bar.stop()
      running = false
      process.stderr.write(`\r\x1b[Kepoch ${epoch}: evaluating on ${images.toLocaleString('en-US')} ${what} images...`)
    },
    interrupt() {
      if (running) bar.stop()
      running = false
    },
    clear() {
      if (running) bar.stop()
      running = false
      process.stderr.write('\r\x1b[K')
    },
    stop() {
      if (running) bar.stop()
      running = false
    },
  }
}

/** Plain lines for logs and pipes: every 10 % of an epoch or every 15 s. */
function plainProgress(json: boolean): ProgressView {
  let lastAt = 0
  let lastTenth = -1
  return {
    download() {},
    step(p) {
      const now = Date.now()
      const tenth = Math.floor((p.batch * 10) / p.batches)
      if (tenth === lastTenth && now - lastAt < 15_000 && p.batch !== p.batches) return
      lastTenth = tenth
      lastAt = now
      process.stderr.write(
        `epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} acc ${(p.accuracy * 100).toFixed(1)}% ` +
          `${Math.round(p.imagesPerSecond)} img/s eta ${duration(p.etaSeconds)}\n`,
      )
    },
    evaluating(epoch, images, what = 'test') {
      if (!json) process.stderr.write(`epoch ${epoch}: evaluating on ${images} ${what} images\n`)
    },
    interrupt() {},
    clear() {},
    stop() {},
  }
}

export function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '-'
  const s = Math.max(0, Math.round(seconds))
  const m = Math.floor(s / 60)
  return m > 0 ? `${m}m${String(s % 60).padStart(2, '0')}s` : `${s}s`
}
