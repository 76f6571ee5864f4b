/**
 * A PostgreSQL URL may carry its password as a query parameter (libpq and pg both take
 * ?password=): every error naming the URL hides it, as it hides user:password@.
 */
import { describe, expect, it } from 'vitest'
import { maskUrl, openPool } from '../../../src/main/store/postgres/connect'
import { PostgresQueueStore } from '../../../src/main/store/postgres'

const SECRET = 'hunter2-secret'

async function messageOf(call: () => Promise<unknown>): Promise<string> {
  try {
    await call()
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('expected the call to fail')
}

describe('the password in a store URL', () => {
  it('is masked when given as ?password= (maskUrl)', () => {
    expect(maskUrl(`postgres://genops@db.example:5432/queue?password=${SECRET}`)).not.toContain(SECRET)
  })

  it('is not in the error of a server that does not answer', async () => {
    const message = await messageOf(() => openPool(`postgres://genops@127.0.0.1:1/queue?password=${SECRET}`, { connectTimeoutMs: 1000 }))
    expect(message).toMatch(/no PostgreSQL server answers/)
    expect(message).not.toContain(SECRET)
  })

  it('is not in the error of `genops serve --store` on a missing database', async () => {
    const message = await messageOf(() => PostgresQueueStore.open(`postgres://postgres@127.0.0.1:5432/genops_no_such_db?password=${SECRET}`))
    expect(message).not.toContain(SECRET)
  })
})
