import { BackendUnavailableError } from '@mnist/backends'
import { DownloadError } from '@mnist/data'
import { describe, expect, it } from 'vitest'
import { formatError } from './format-error'

describe('formatError', () => {
  it('adds the flag that helps to a library error that speaks of options', () => {
    const backend = new BackendUnavailableError('webgpu', 'webgpu is not installed', 'npm i webgpu')
    expect(formatError(backend)).toMatch(/^error: .*Fix: npm i webgpu\n {2}hint: --backend auto picks .*mnist info/)
    const download = new DownloadError('t10k-labels-idx1-ubyte', [])
    expect(formatError(download)).toMatch(/\n {2}hint: --data-dir <dir> .* --mirror <url>/)
  })

  it('prints other errors as they are, with their cause', () => {
    const error = new Error('boom', { cause: new Error('root') })
    expect(formatError(error)).toBe('error: boom\n  caused by: root')
    expect(formatError('text')).toBe('error: text')
  })
})
