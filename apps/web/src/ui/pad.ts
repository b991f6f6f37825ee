// The drawing pad: pointer events cover mouse, touch and pen. Dark ink on white, as people draw; the model's
// preprocessing inverts and centres it the MNIST way.
export interface Pad {
  pixels(): ImageData
  clear(): void
}

export function createPad(canvas: HTMLCanvasElement, onChange: () => void): Pad {
  const ctx = canvas.getContext('2d', { willReadFrequently: true })!
  const clear = (): void => {
    ctx.fillStyle = '#fff'
    ctx.fillRect(0, 0, canvas.width, canvas.height)
  }
  clear()
  ctx.lineCap = 'round'
  ctx.lineJoin = 'round'
  ctx.strokeStyle = '#000'
  ctx.lineWidth = canvas.width / 14
  let last: { x: number; y: number } | undefined
  const point = (e: PointerEvent) => {
    const r = canvas.getBoundingClientRect()
    return { x: ((e.clientX - r.left) * canvas.width) / r.width, y: ((e.clientY - r.top) * canvas.height) / r.height }
  }
  canvas.addEventListener('pointerdown', (e) => {
    canvas.setPointerCapture(e.pointerId)
    last = point(e)
    ctx.beginPath()
    ctx.arc(last.x, last.y, ctx.lineWidth / 2, 0, 2 * Math.PI)
    ctx.fillStyle = '#000'
    ctx.fill()
    onChange()
  })
  canvas.addEventListener('pointermove', (e) => {
    if (!last) return
    const p = point(e)
    ctx.beginPath()
    ctx.moveTo(last.x, last.y)
    ctx.lineTo(p.x, p.y)
    ctx.stroke()
    last = p
    onChange()
  })
  const end = (): void => {
    last = undefined
  }
  canvas.addEventListener('pointerup', end)
  canvas.addEventListener('pointercancel', end)
  return {
    pixels: () => ctx.getImageData(0, 0, canvas.width, canvas.height),
    clear,
  }
}
