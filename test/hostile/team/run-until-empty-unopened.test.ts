/**
 * Hostile: `genops run --until-empty` ends when what is left waits for an operator (paused,
 * held open, over budget): engine.waitingOnOperator. Jobs of a profile whose key this engine
 * cannot open are now held too, but not counted there: a headless run on the desktop app's
 * data directory (a key the app's keychain sealed; before, those jobs ran with the
 * environment's key) or without its team key waits for ever, saying nothing.
 */
import { writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterEach, describe, expect, it } from 'vitest'
import { createEngine } from '../../../src/main/engine'
import { genopsAsync } from '../../support/cli'
import { startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai'
import { testKeychain } from '../../support/keychain'
import { freePort } from '../../support/ports'
import { tempDir } from '../../support/temp'

let fake: FakeOpenAI | undefined
afterEach(async () => {
  await fake?.close()
  fake = undefined
})

describe('genops run --until-empty and a key it cannot open', () => {
  it('ends, saying what holds the jobs, rather than waiting for ever', { timeout: 120_000 }, async () => {
    fake = await startFakeOpenAI()
    const dataDir = tempDir()
    // The desktop app saved the profile's key with its machine keychain.
    const desktop = await createEngine({ dataDir, threads: 1, artifacts: false, secrets: testKeychain() })
    await desktop.call('saveProvider', { name: 'desk', provider: 'openai', baseUrl: fake.url, model: 'gpt-test', apiKey: 'sk-desk-0123456789abcdef' })
    await desktop.close(1000)

    const jobs = join(tempDir(), 'jobs.jsonl')
    writeFileSync(jobs, '{"prompt":"hello","provider":"desk"}\n')
    expect((await genopsAsync(['enqueue', jobs, '--data-dir', dataDir])).status).toBe(0)
    // When it never ends by itself, genopsAsync's own limit (60 s) stops it with SIGTERM, which it takes as a clean stop: nothing printed.
    const run = await genopsAsync(['run', '--until-empty', '--data-dir', dataDir, '--metrics-port', String(await freePort())])
    expect(run.stdout).toBe('stopped: 0 completed, 0 dead, 0 cancelled, 1 held\n')
    expect(run.status).toBe(3)
    expect(fake.requests).toHaveLength(0)
  })
})
