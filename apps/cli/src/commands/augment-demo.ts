import fs from 'node:fs/promises'
import path from 'node:path'
import { loadMnist, mulberry32 } from '@mnist/data'
import { renderDigitGrid, type DigitCell } from '@mnist/eval'
import { augmentImage, DEFAULT_AUGMENTATION, sampleAffine } from '@mnist/train'
import type { Command } from 'commander'
import { addDataOptions, dataSource, type DataFlags } from '../data-flags'
import { intFlag } from '../flags'

interface AugmentDemoFlags extends DataFlags {
  samples: number
  perSample: number
  out: string
  seed: number
  json?: boolean
}

/**
 * `mnist augment-demo`: one PNG per sample with the original digit and K random affine augmentations (the training
 * augmentation's ranges), so the augmentation can be checked by eye.
 */
export function registerAugmentDemo(program: Command): void {
  const command = program
    .command('augment-demo')
    .description('draw training digits next to random augmentations of them (PNG grids)')
    .option('--samples <n>', 'digits to show, one PNG each', intFlag('--samples', 1, 1000), 4)
    .option('--per-sample <k>', 'augmentations per digit', intFlag('--per-sample', 1, 100), 8)
    .option('--out <dir>', 'folder for the PNG files', 'augment-demo')
    .option('--seed <n>', 'picks the digits and the transforms', intFlag('--seed', 0, 4_294_967_295), 1)
  addDataOptions(command)
    .option('--json', 'print the written files as one JSON object')
    .action(async (flags: AugmentDemoFlags) => {
      const data = await loadMnist(dataSource(flags))
      const { images, labels, rows, cols, count } = data.train
      const pixels = rows * cols
      const random = mulberry32(flags.seed)
      await fs.mkdir(flags.out, { recursive: true })
      const files: string[] = []
      const r = DEFAULT_AUGMENTATION
      for (let s = 0; s < flags.samples; s++) {
        const index = Math.floor(random() * count)
        const original = images.slice(index * pixels, (index + 1) * pixels)
        const cells: DigitCell[] = [{ pixels: original, caption: `#${index}: ${labels[index]}` }]
        for (let k = 0; k < flags.perSample; k++) {
          const p = sampleAffine(random, r, rows, cols)
          cells.push({
            pixels: augmentImage(original, rows, cols, p),
            caption: `${p.angle >= 0 ? '+' : ''}${p.angle.toFixed(1)}° x${p.scale.toFixed(2)}`,
          })
        }
        const png = renderDigitGrid(cells, {
          rows,
          cols,
          columns: Math.min(cells.length, 10),
          scale: 3,
          title: `digit ${labels[index]} (train #${index}): original, then ${flags.perSample} augmentations`,
        })
        const file = path.join(flags.out, `augment-${String(s + 1).padStart(2, '0')}-train${index}.png`)
        const tmp = `${file}.${process.pid}.tmp`
        await fs.writeFile(tmp, png)
        await fs.rename(tmp, file)
        files.push(file)
      }
      const summary = `rotate +-${r.degrees} deg, shift +-${+(r.translate * 100).toFixed(2)} %, scale ${r.scaleMin}-${r.scaleMax}, bilinear, seed ${flags.seed}`
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ files, augmentation: r, seed: flags.seed })}\n`)
        return
      }
      process.stdout.write(
        `${files.length} grid${files.length === 1 ? '' : 's'} (${summary}):\n${files.map((f) => `  ${f}\n`).join('')}`,
      )
    })
}
