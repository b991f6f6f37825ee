// Which backend, build and thread count run the pad and the training, and why.
import type { EngineInfo } from '../lib/backend'

export function showEngine(host: HTMLElement, parts: { title: string; info: EngineInfo | undefined }[]): void {
  host.innerHTML = parts
    .map(({ title, info }) => {
      if (!info) return `<dl><dt>${title}</dt><dd>not started yet</dd></dl>`
      const summary = `${info.backend}${info.build ? ` · ${info.build}` : ''} · ${info.threads} thread${info.threads === 1 ? '' : 's'}`
      return `<dl data-part="${title}"><dt>${title}</dt><dd class="summary">${summary}</dd>${info.why
        .map((w) => `<dt></dt><dd>${w}</dd>`)
        .join('')}</dl>`
    })
    .join('')
}
