import type { Command } from 'commander'

// Placeholder until its issue lands: the command exists so --help lists it, and says plainly that it is not built yet.
export function registerData(program: Command): void {
  program
    .command('data')
    .description('(not yet available)')
    .allowUnknownOption()
    .action(() => {
      throw Object.assign(new Error('"mnist data" is not implemented yet'), { exitCode: 1 })
    })
}
