import type { Command } from 'commander'

// Placeholder until its issue lands: the command exists so --help lists it, and says plainly that it is not built yet.
export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('(not yet available)')
    .allowUnknownOption()
    .action(() => {
      throw Object.assign(new Error('"mnist train" is not implemented yet'), { exitCode: 1 })
    })
}
