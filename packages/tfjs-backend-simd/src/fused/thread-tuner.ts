/**
 * The fused trainer's choice between one thread and all threads, made from the steps' own timings.
 *
 * On a machine where another process holds a core, a worker thread that waits for the CPU makes every split kernel
 * wait for it, and one thread is then several times faster. So ~20 steps in, one thread runs `probeSteps` steps, and
 * the faster choice (by its best step) stays. Being wrong costs differently in the two directions, and the two kinds of
 * probe are scheduled accordingly:
 * - On all threads, a probe of one thread costs little, but a switch to one thread on a noisy reading halves the speed
 *   until the next probe. So one thread must win by a margin, and later probes come every `interval` steps, and only
 *   when the steps have become 30 % slower than the best seen on all threads.
 * - On one thread, a probe of all threads is cheap when they are slower (a few slow steps) and wins back the lost
 *   speed as soon as the other load is gone. So it comes soon (`firstRecheck` steps) and backs off (doubling up to
 *   `interval`) while one thread keeps winning.
 * The choice never changes results: the trainer's reductions use fixed partials whatever the threads.
 */
export interface ThreadTunerOptions {
  /** Steps on all threads between two checks (default 150). */
  interval?: number
  /** Steps measured per probe (default 4). */
  probeSteps?: number
  /** Steps before the first probe (default 20). */
  firstProbe?: number
  /** Steps on one thread before the first probe of all threads (default 25). */
  firstRecheck?: number
  /** One thread replaces all threads only when its best step is below this fraction of theirs (default 0.85). */
  margin?: number
}

export class ThreadTuner {
  /** The current choice: 1, or Infinity for all threads. */
  limit = Infinity
  private readonly interval: number
  private readonly probeSteps: number
  private readonly firstRecheck: number
  private readonly margin: number
  private step: number
  private first = true
  private probeLeft = 0
  private probeBest = Infinity
  private recentBest = Infinity
  private home = Infinity
  private bestAll = Infinity
  /** Steps between probes of all threads while on one thread (backs off while one thread keeps winning). */
  private recheck: number

  constructor(options: ThreadTunerOptions = {}) {
    this.interval = options.interval ?? 150
    this.probeSteps = options.probeSteps ?? 4
    this.firstRecheck = options.firstRecheck ?? 25
    this.margin = options.margin ?? 0.85
    this.recheck = this.firstRecheck
    this.step = this.interval - (options.firstProbe ?? 20)
  }

  /** Records one step's time (ms) taken with the current `limit`; may change `limit` for the next step. */
  record(stepMs: number): void {
    const onAll = this.limit !== 1
    this.step++
    if (onAll) this.bestAll = Math.min(this.bestAll, stepMs)
    if (this.probeLeft > 0) {
      this.probeBest = Math.min(this.probeBest, stepMs)
      if (--this.probeLeft > 0) return
      // The probed choice stays if it was faster (one thread by the margin), else back to the previous one.
      const keep = onAll ? this.probeBest < this.recentBest : this.probeBest < this.margin * this.recentBest
      if (!keep) this.limit = this.home
      if (this.limit === 1) this.recheck = keep ? this.firstRecheck : Math.min(this.interval, 2 * this.recheck)
      this.recentBest = Infinity
      this.step = 0
      return
    }
    const due = onAll ? this.interval : this.recheck
    // the best of the last few steps in the current choice
    if (this.step > due - this.probeSteps) this.recentBest = Math.min(this.recentBest, stepMs)
    if (this.step < due) return
    const degraded = onAll && this.recentBest > 1.3 * this.bestAll
    if (this.first || !onAll || degraded) {
      this.first = false
      this.home = this.limit
      this.limit = onAll ? 1 : Infinity
      this.probeLeft = this.probeSteps
      this.probeBest = Infinity
    } else {
      this.recentBest = Infinity
      this.step = 0
    }
  }
}
