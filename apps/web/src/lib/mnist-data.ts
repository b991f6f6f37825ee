// Fetch MNIST's four files from a base URL. TEMPORARY: replaced by @mnist/data's browser entry when it lands.
import type { MnistSplit } from '@mnist/data'

export interface MnistSplits {
  train: MnistSplit
  test: MnistSplit
}

export interface DataProgress {
  loadedBytes: number
  totalBytes: number
}

const FILES = {
  trainImages: 'train-images-idx3-ubyte.gz',
  trainLabels: 'train-labels-idx1-ubyte.gz',
  testImages: 't10k-images-idx3-ubyte.gz',
  testLabels: 't10k-labels-idx1-ubyte.gz',
} as const

// The four files' published gzip sizes, for a progress bar before the Content-Length headers arrive.
const TOTAL_BYTES = 9_912_422 + 28_881 + 1_648_877 + 4_542

export async function loadMnistFrom(baseUrl: string, onProgress?: (p: DataProgress) => void): Promise<MnistSplits> {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`, globalThis.location?.href)
  let loaded = 0
  const get = async (name: string): Promise<Uint8Array> => {
    const res = await fetch(new URL(name, base))
    if (!res.ok || !res.body) throw new TypeError(`${name}: HTTP ${res.status} from ${new URL(name, base).href}`)
    const counted = res.body.pipeThrough(
      new TransformStream<Uint8Array<ArrayBuffer>, Uint8Array<ArrayBuffer>>({
        transform(chunk, ctl) {
          loaded += chunk.byteLength
          onProgress?.({ loadedBytes: loaded, totalBytes: TOTAL_BYTES })
          ctl.enqueue(chunk)
        },
      }),
    )
    const plain = counted.pipeThrough(new DecompressionStream('gzip'))
    return new Uint8Array(await new Response(plain).arrayBuffer())
  }
  const [ti, tl, vi, vl] = await Promise.all(Object.values(FILES).map(get))
  return { train: split(ti, tl), test: split(vi, vl) }
}

function split(images: Uint8Array, labels: Uint8Array): MnistSplit {
  const view = new DataView(images.buffer, images.byteOffset)
  const count = view.getUint32(4)
  const rows = view.getUint32(8)
  const cols = view.getUint32(12)
  return { images: images.subarray(16, 16 + count * rows * cols), labels: labels.subarray(8, 8 + count), count, rows, cols }
}
