// The top-3 list and the 28x28 image the model saw.
import type { Classification } from '../lib/classify'

export function showPrediction(list: HTMLOListElement, seen: HTMLCanvasElement, c: Classification): void {
  list.replaceChildren(
    ...c.top.map((g) => {
      const li = document.createElement('li')
      li.dataset.digit = String(g.digit)
      li.innerHTML = `<span class="digit">${g.digit}</span><span class="bar" style="width:${(g.probability * 100).toFixed(1)}%"></span><span>${(g.probability * 100).toFixed(1)} %</span>`
      return li
    }),
  )
  const ctx = seen.getContext('2d')!
  const img = ctx.createImageData(28, 28)
  for (let i = 0; i < 784; i++) {
    const v = c.input?.[i] ?? 0
    img.data.set([v, v, v, 255], i * 4)
  }
  ctx.putImageData(img, 0, 0)
}
