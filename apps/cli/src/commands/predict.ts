import type { Command } from 'commander'

// Placeholder until its issue lands: the command exists so --help lists it, and says plainly that it is not built yet.
export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('(not yet available)')
    .allowUnknownOption()
    .action(() => {
      throw Object.assign(new Error('"mnist predict" is not implemented yet'), { exitCode: 1 })
    })
}
