/**
 * The team key from the command line: `genops providers add --api-key-stdin` keeps a key only
 * when a team key seals it (headless mode and the CLI have no keychain), and an engine
 * started with the same team key sends it; one started without it leaves the job queued.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { genopsAsync } from '../../support/cli'
import { startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai'
import { freePort } from '../../support/ports'
import { teamKeyFile } from '../../support/team-key'
import { tempDir } from '../../support/temp'

const KEY = 'sk-piped-in-0123456789abcdef'

let fake: FakeOpenAI | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

describe('genops providers add --api-key-stdin', () => {
  it('refuses to keep a key with no team key, keeps it sealed with one, and the engine given the same key sends it', { timeout: 120_000 }, async () => {
    fake = await startFakeOpenAI({ text: 'Piped answer.' })
    const dataDir = tempDir()
    const add = ['providers', 'add', 'piped', '--provider', 'openai', '--base-url', fake.url, '--model', 'gpt-test', '--api-key-stdin', '--data-dir', dataDir]

    const refused = await genopsAsync(add, {}, `${KEY}\n`)
    expect(refused.status).not.toBe(0)
    expect(refused.stderr).toContain(
      'this GenOps keeps no API keys (the desktop app keeps them in the OS keychain): give it a team key (the teamKeyFile setting)',
    )
    expect(refused.stderr).not.toContain(KEY)

    const env = { GENOPS_TEAM_KEY_FILE: teamKeyFile() }
    const saved = await genopsAsync(add, env, `${KEY}\n`)
    expect(saved.stderr).toBe('')
    expect(saved.stdout).toBe('profile piped: saved, its key kept sealed (never shown again)\n')
    const listed = await genopsAsync(['providers', 'list', '--json', '--data-dir', dataDir])
    expect(JSON.parse(listed.stdout).profiles).toEqual([expect.objectContaining({ name: 'piped', hasKey: true })])
    expect(listed.stdout).not.toContain(KEY)
    for (const name of readdirSync(dataDir).filter((file) => file.startsWith('genops.db'))) expect(readFileSync(join(dataDir, name)).includes(KEY)).toBe(false)

    const jobs = join(tempDir(), 'jobs.jsonl')
    writeFileSync(jobs, '{"prompt":"hello","provider":"piped"}\n')
    expect((await genopsAsync(['enqueue', jobs, '--data-dir', dataDir])).status).toBe(0)
    const run = await genopsAsync(['run', '--until-empty', '--data-dir', dataDir, '--metrics-port', String(await freePort())], env)
    expect(run.status).toBe(0)
    expect(fake.requests.map((request) => request.headers.authorization)).toEqual([`Bearer ${KEY}`])
  })

  it('says what is wrong with a team key file before it keeps anything, and takes no key from an empty pipe', { timeout: 60_000 }, async () => {
    const dataDir = tempDir()
    const add = ['providers', 'add', 'piped', '--provider', 'openai', '--api-key-stdin', '--data-dir', dataDir]
    const short = teamKeyFile('too-short')
    const refused = await genopsAsync(add, { GENOPS_TEAM_KEY_FILE: short }, `${KEY}\n`)
    expect(refused.stderr).toContain(`the team key file ${short} holds 9 characters, fewer than 32`)
    const empty = await genopsAsync(add, { GENOPS_TEAM_KEY_FILE: teamKeyFile() }, '\n')
    expect(empty.status).toBe(2)
    expect(empty.stderr).toContain('--api-key-stdin: the API key is empty')
    const listed = await genopsAsync(['providers', 'list', '--json', '--data-dir', dataDir])
    expect(JSON.parse(listed.stdout).profiles).toEqual([])
  })
})
