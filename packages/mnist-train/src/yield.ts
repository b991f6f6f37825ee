/**
 * Resolves after other tasks have had a turn (a signal handler, an abort message posted to a worker, a repaint):
 * `setImmediate` in Node; elsewhere a `MessageChannel` message, because `setTimeout(0)` is clamped to 4 ms once
 * timers nest, which a loop that yields every 10 ms would pay each time.
 */
export function yieldToEventLoop(): Promise<void> {
  if (typeof setImmediate === 'function') return new Promise<void>((resolve) => setImmediate(resolve))
  return new Promise<void>((resolve) => {
    const channel = new MessageChannel()
    channel.port1.onmessage = () => {
      channel.port1.close()
      resolve()
    }
    channel.port2.postMessage(null)
  })
}
