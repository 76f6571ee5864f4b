/** Why a team store's URL cannot be used: apart from the PostgreSQL store's code, so the CLI can tell it without loading pg. */
export type ConnectProblem = 'BAD_URL' | 'UNREACHABLE' | 'AUTH' | 'NO_DATABASE' | 'REFUSED'

/** Why a store URL cannot be used; `message` is one line that names the URL with its password masked. */
export class StoreConnectError extends Error {
  override name = 'StoreConnectError'
  constructor(
    readonly code: ConnectProblem,
    message: string,
  ) {
    super(message)
  }
}
