import { Command, CommanderError } from 'commander'
import { registerAugmentDemo } from './commands/augment-demo'
import { registerData } from './commands/data'
import { registerEval } from './commands/eval'
import { registerInfo } from './commands/info'
import { registerPredict } from './commands/predict'
import { registerTrain } from './commands/train'
import { exitCodeFor } from './exit-codes'
import { formatError } from './format-error'
import { cliVersion } from './version'

/** Builds the command tree. Each command lives in its own file and only parses flags and calls a package. */
export function createProgram(): Command {
  const program = new Command('mnist')
    .description('Train, evaluate and use a tiny MNIST CNN with TensorFlow.js')
    .version(cliVersion(), '-v, --version')
    .showHelpAfterError('(run "mnist --help" for usage)')
    .exitOverride()
  registerData(program)
  registerTrain(program)
  registerEval(program)
  registerPredict(program)
  registerInfo(program)
  registerAugmentDemo(program)
  return program
}

/** The one place that catches errors, prints them without a stack trace and sets the exit code. */
export async function runMain(argv: string[]): Promise<void> {
  const program = createProgram()
  try {
    await program.parseAsync(argv)
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander already printed help, the version or the usage error; usage errors exit 2 like other Unix tools.
      process.exitCode = error.exitCode === 0 ? 0 : 2
      return
    }
    process.stderr.write(`${formatError(error)}\n`)
    process.exitCode = exitCodeFor(error)
  }
}
