/** Exit codes: 1 the operation failed (not found, conflict), 2 the input was wrong. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode = 1,
  ) {
    super(message)
  }
}
