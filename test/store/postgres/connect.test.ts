/** A store URL that cannot be used: one line naming it, password masked, and what to do. */
import { describe, expect, it } from 'vitest'
import { PostgresQueueStore } from '../../../src/main/store/postgres'
import { maskUrl } from '../../../src/main/store/postgres/connect'
import { StoreConnectError } from '../../../src/main/store/connect-error'
import { freePort } from '../../support/ports'
import { postgresServer } from '../../support/postgres'

const server = await postgresServer()

async function openError(url: string): Promise<StoreConnectError> {
  const error: unknown = await PostgresQueueStore.open(url).then(
    () => null,
    (e: unknown) => e,
  )
  expect(error).toBeInstanceOf(StoreConnectError)
  const message = (error as Error).message
  expect(message.split('\n')).toHaveLength(1)
  expect(message).not.toContain('sekrit-pw')
  return error as StoreConnectError
}

describe('store URLs', () => {
  it('masks the password wherever a URL is shown', () => {
    expect(maskUrl('postgres://team:sekrit-pw@db.example:5432/genops')).toBe('postgres://team:***@db.example:5432/genops')
    expect(maskUrl('postgres://team@db.example/genops')).toBe('postgres://team@db.example/genops')
    expect(maskUrl('postgres://team:sekrit-pw@[not a url')).toBe('postgres://team:***@[not a url')
  })

  it('says how to write a URL that is not a PostgreSQL one', async () => {
    const error = await openError('mysql://team:sekrit-pw@db.example/genops')
    expect(error.code).toBe('BAD_URL')
    expect(error.message).toBe('mysql://team:***@db.example/genops: not a PostgreSQL URL: write postgres://user:password@host:5432/database')
  })

  it('says no server answers on a port where none listens', async () => {
    const port = await freePort()
    const error = await openError(`postgres://team:sekrit-pw@127.0.0.1:${port}/genops`)
    expect(error.code).toBe('UNREACHABLE')
    expect(error.message).toMatch(
      new RegExp(`^postgres://team:\\*\\*\\*@127\\.0\\.0\\.1:${port}/genops: no PostgreSQL server answers there \\(.*ECONNREFUSED.*\\): start it`),
    )
  })
})

describe.skipIf(!server)('store URLs on a real server', () => {
  it('names a database that does not exist and how to make it', async () => {
    const url = new URL(server!.urlFor('genops_no_such_database'))
    url.password ||= 'sekrit-pw'
    const error = await openError(url.toString())
    expect(error.code).toBe('NO_DATABASE')
    expect(error.message).toMatch(/: the database "genops_no_such_database" does not exist: create it \(createdb genops_no_such_database\)/)
    expect(error.message).toContain(':***@')
  })

  it('says the login was refused for a user the server does not know', async () => {
    const url = new URL(server!.urlFor('postgres'))
    url.username = 'genops_nobody'
    url.password = 'sekrit-pw'
    const error = await openError(url.toString())
    expect(error.code).toBe('AUTH')
    expect(error.message).toMatch(/^postgres:\/\/genops_nobody:\*\*\*@.*: the server refused the login \(.*\): check the user and password in the URL$/)
  })
})
