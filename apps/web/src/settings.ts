// Training settings: defaults, overridden by the page's query string (?data=…&train=…&test=…&epochs=…), so that a
// test or a link can pick a subset.
export interface TrainSettings {
  dataUrl: string
  trainLimit: number
  testLimit: number
  epochs: number
}

export const DEFAULT_SETTINGS: TrainSettings = { dataUrl: '/mnist/', trainLimit: 60_000, testLimit: 10_000, epochs: 1 }

export function settingsFromQuery(search: string): TrainSettings {
  const q = new URLSearchParams(search)
  const int = (name: string, fallback: number): number => {
    const v = Number(q.get(name))
    return q.has(name) && Number.isInteger(v) && v > 0 ? v : fallback
  }
  return {
    dataUrl: q.get('data') || DEFAULT_SETTINGS.dataUrl,
    trainLimit: int('train', DEFAULT_SETTINGS.trainLimit),
    testLimit: int('test', DEFAULT_SETTINGS.testLimit),
    epochs: int('epochs', DEFAULT_SETTINGS.epochs),
  }
}
