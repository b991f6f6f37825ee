// Live training loss and accuracy (uPlot: small, fast, no framework).
import uPlot from 'uplot'
import 'uplot/dist/uPlot.min.css'

export interface LiveChart {
  push(step: number, loss: number, accuracy: number): void
  reset(): void
}

export function createChart(host: HTMLElement): LiveChart {
  const data: [number[], number[], number[]] = [[], [], []]
  const plot = new uPlot(
    {
      width: Math.max(320, host.clientWidth || 520),
      height: 220,
      scales: { x: { time: false }, acc: { range: [0, 1] } },
      axes: [{ label: 'step' }, { label: 'loss' }, { scale: 'acc', side: 1, label: 'accuracy', grid: { show: false } }],
      series: [
        { label: 'step' },
        { label: 'loss', stroke: '#d6451b', width: 2 },
        { label: 'train accuracy', stroke: '#1b63d6', width: 2, scale: 'acc' },
      ],
    },
    data,
    host,
  )
  return {
    push(step, loss, accuracy) {
      data[0].push(step)
      data[1].push(loss)
      data[2].push(accuracy)
      plot.setData(data)
    },
    reset() {
      for (const s of data) s.length = 0
      plot.setData(data)
    },
  }
}
