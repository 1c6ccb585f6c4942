/**
 * What every client command shares: the `--master` and `-o/--output` flags, the usage-error exit
 * code for bad command lines, and one way of ending: output on stdout, `meso: <message>` on stderr
 * and the exit code from `exit-codes.ts`.
 */
import { type Command, type CommanderError, Option } from 'commander';
import type { Writable } from 'node:stream';
import { describeError } from '../scheduler/index.js';
import { EXIT_OK, EXIT_USAGE, exitCodeFor } from './exit-codes.js';
import { OperatorClient, resolveMaster } from './operator-client.js';
import { type OutputFormat, outputFormat } from './output.js';

const DEFAULT_MASTER = 'http://127.0.0.1:5050';

/** Flags every client command takes, as commander hands them over. */
interface CommonFlags {
  readonly master?: string;
  readonly output?: string;
}

/** What a command's action works with. */
export interface CommandContext {
  readonly client: OperatorClient;
  readonly format: OutputFormat;
  readonly stdout: Writable;
  readonly stderr: Writable;
}

/** commander exits 1 on a bad command line; scripts get 2 (usage) instead, and 0 for `--help`. */
function exitWithUsageCode(err: CommanderError): never {
  process.exit(err.exitCode === 0 ? EXIT_OK : EXIT_USAGE);
}

/** Adds a subcommand with `--master` and `-o/--output`; its subcommands inherit the exit codes. */
export function clientCommand(parent: Command, nameAndArgs: string, description: string): Command {
  return parent
    .command(nameAndArgs)
    .description(description)
    .exitOverride(exitWithUsageCode)
    .addOption(
      new Option('--master <url>', 'any master: http://host:5050, host:5050 or zk://host:2181/mesos')
        .env('MESO_MASTER')
        .default(DEFAULT_MASTER),
    )
    .addOption(new Option('-o, --output <format>', 'table or json').default('table'));
}

/**
 * Wraps a command's action: connects to the master, runs `body`, and sets the process's exit code
 * (`body`'s result, 0 when it returns nothing; the error's code when it throws).
 */
export function commandAction<A extends unknown[]>(
  body: (ctx: CommandContext, ...args: A) => Promise<number | void>,
): (...args: A) => Promise<void> {
  return async (...args: A) => {
    // commander passes the positional arguments, then the options object, then the command.
    const flags = args[args.length - 2] as CommonFlags;
    try {
      const client = new OperatorClient(await resolveMaster(flags.master ?? DEFAULT_MASTER));
      const ctx = {
        client,
        format: outputFormat(flags.output),
        stdout: process.stdout,
        stderr: process.stderr,
      };
      process.exitCode = (await body(ctx, ...args)) ?? EXIT_OK;
    } catch (err) {
      process.stderr.write(`meso: ${describeError(err)}\n`);
      process.exitCode = exitCodeFor(err);
    }
  };
}
