/** The `lodestone` command line. Errors are reported as one clear message, never a stack trace. */
import { Command, CommanderError } from 'commander';
import { DataError } from '../data/issues.ts';
import { EquilibriumError, ProblemError } from '../equilibrium/solve.ts';
import { InputError } from '../model/document.ts';
import { ModelInputError } from '../model/world.ts';
import { registerAdminCommands } from './admin.ts';
import { registerBacktestCommand } from './backtest.ts';
import { flushDataNote, registerDataCommands } from './data.ts';
import { registerEnsembleCommand } from './ensemble.ts';
import { registerProjectsCommands } from './projects.ts';
import { registerServeCommand } from './serve.ts';
import { registerSimulateCommands } from './simulate.ts';
import { registerSolveCommand } from './solve.ts';

export function buildProgram(): Command {
  const program = new Command('lodestone')
    .description('Design, simulate and administer a preferential trade zone for critical minerals')
    .version('0.1.0')
    .showHelpAfterError()
    .exitOverride();
  registerDataCommands(program);
  registerSolveCommand(program);
  registerSimulateCommands(program);
  registerBacktestCommand(program);
  registerServeCommand(program);
  registerAdminCommands(program);
  registerProjectsCommands(program);
  registerEnsembleCommand(program);
  return program;
}

/**
 * An option that takes one value, given twice (`--episode A --episode B`), would have its last value win in silence:
 * refused, naming it. Options that gather every value (`--floor`, `--data`, `--member-limit`) hold a list or a
 * record and may repeat; flags without a value (`--json`) say the same thing twice.
 */
function refuseRepeatedOptions(action: Command, argv: readonly string[]): void {
  for (const option of action.options) {
    if (!(option.required || option.optional) || !option.long) continue;
    if (action.getOptionValueSource(option.attributeName()) !== 'cli') continue;
    // A list or a record gathers every value given (collect, the limits' KEY=USD pairs).
    const value: unknown = action.getOptionValue(option.attributeName());
    if (typeof value === 'object' && value !== null) continue;
    const names = [option.long, ...(option.short ? [option.short] : [])];
    const given = argv.filter((a) => names.some((n) => a === n || a.startsWith(`${n}=`))).length;
    if (given > 1) {
      throw new InputError(`${option.long} is given ${given} times: it takes one value (give it once)`);
    }
  }
}

/**
 * A reader that stops early (`lodestone data sources | head -1`) closes the pipe: the rest of the output has nowhere
 * to go, which is no error of ours, so the command ends quietly, as Unix tools do.
 */
function endQuietlyOnClosedPipe(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'EPIPE') process.exit(0);
      throw e;
    });
  }
}

export async function main(argv: readonly string[]): Promise<number> {
  endQuietlyOnClosedPipe();
  const program = buildProgram();
  program.hook('preAction', (_root, action) => refuseRepeatedOptions(action, argv));
  try {
    await program.parseAsync([...argv], { from: 'user' });
    const code = Number(process.exitCode ?? 0);
    flushDataNote(code !== 0);
    return code;
  } catch (error) {
    flushDataNote(true);
    if (error instanceof CommanderError) {
      // Commander already printed help, a version, or the usage error.
      return error.exitCode === 0 ? 0 : 2;
    }
    if (
      error instanceof InputError ||
      error instanceof ModelInputError ||
      error instanceof ProblemError ||
      error instanceof EquilibriumError
    ) {
      process.stderr.write(`lodestone: ${error.message}\n`);
      return 1;
    }
    if (error instanceof DataError) {
      process.stderr.write(`lodestone: ${error.message}\n`);
      return 1;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`lodestone: ${message}\n`);
    if (process.env.LODESTONE_DEBUG && error instanceof Error) process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}
