// A usage error: bad flags or an input file that is not what the command expects. The CLI's top level
// prints its message and exits with code 2; any other error is a bug and exits with 1.
export class CliError extends Error {}

export function fail(message: string): never {
  throw new CliError(message);
}
