/**
 * What a team store's server said, named with the store that said it (a team may have
 * several); `code` is the server's SQLSTATE. Apart from the PostgreSQL store's code, so the CLI
 * can tell it (one line, no stack) without loading pg.
 */
export class ServerStoreError extends Error {
  override name = 'ServerStoreError'
  constructor(
    message: string,
    readonly code: string | undefined,
  ) {
    super(message)
  }
}
