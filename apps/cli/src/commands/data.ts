import { loadMnist, type LoadMnistOptions } from '@mnist/data'
import type { Command } from 'commander'
import { addDataOptions, dataSource, type DataFlags } from '../data-flags'

interface DataCommandFlags extends DataFlags {
  verify: boolean
  json?: boolean
}

function progressReporter(): { onProgress: LoadMnistOptions['onProgress']; done: () => void } | undefined {
  if (!process.stderr.isTTY) return undefined
  let last = 0
  let open = false
  const done = (): void => {
    if (open) process.stderr.write('\n')
    open = false
  }
  const onProgress: LoadMnistOptions['onProgress'] = ({ file, bytes, total }) => {
    const now = Date.now()
    if (now - last < 100 && (total === undefined || bytes < total)) return
    last = now
    const size = (n: number): string => (n < 1048576 ? `${(n / 1024).toFixed(1)} kB` : `${(n / 1048576).toFixed(1)} MB`)
    const amount = total ? `${size(bytes)} / ${size(total)} (${Math.floor((100 * bytes) / total)}%)` : size(bytes)
    process.stderr.write(`\r\x1b[Kdownloading ${file}: ${amount}`)
    open = true
    if (total !== undefined && bytes >= total) done()
  }
  return { onProgress, done }
}

/** `mnist data`: makes sure a dataset is present and verified, then says where it is and how big it is. */
export function registerData(program: Command): void {
  const command = program
    .command('data')
    .description('download (or find) a dataset, verify it, and print where it is and its counts')
  addDataOptions(command)
    .option('--no-verify', 'skip the SHA-256 check of local and cached files (downloads are always checked)')
    .option('--json', 'print one JSON object on stdout')
    .action(async (flags: DataCommandFlags) => {
      const progress = flags.json ? undefined : progressReporter()
      const data = await loadMnist({
        ...dataSource(flags),
        verify: flags.verify,
        ...(progress ? { onProgress: progress.onProgress } : {}),
        onLockWait: ({ lockPath, pid, host }) => {
          const holder = pid !== undefined ? ` held by pid ${pid}${host ? ` on ${host}` : ''}` : ''
          process.stderr.write(`waiting for the cache lock ${lockPath}${holder}\n`)
        },
      }).finally(() => progress?.done())
      for (const note of data.notes) process.stderr.write(`note: ${note}\n`)
      const split = (s: { count: number; rows: number; cols: number }) => ({
        count: s.count,
        rows: s.rows,
        cols: s.cols,
      })
      if (flags.json) {
        process.stdout.write(
          `${JSON.stringify({ dataset: data.dataset, dir: data.dir, train: split(data.train), test: split(data.test) })}\n`,
        )
        return
      }
      const how = { dataDir: 'local folder', cache: 'cache', download: 'downloaded to the cache' }[data.source]
      process.stdout.write(
        `${data.dataset}: ${data.dir} (${how}, ${data.verified ? 'SHA-256 verified' : 'not verified'})\n` +
          `  train: ${data.train.count} images, ${data.train.rows}x${data.train.cols}\n` +
          `  test:  ${data.test.count} images, ${data.test.rows}x${data.test.cols}\n`,
      )
    })
}
