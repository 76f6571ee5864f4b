/** Outputs as files: written whole or not at all, replaced by a repeated attempt, never outside their folder. */
import { spawn } from 'node:child_process'
import { once } from 'node:events'
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import runAttempt from '../../src/workers/attempt'
import type { AttemptTask } from '../../src/workers/protocol'
import { ROOT } from '../support/cli'
import { tempDir } from '../support/temp'
import { waitFor } from '../support/wait'

const task = (artifactsDir: string, config: Record<string, unknown> = {}, id = 7): AttemptTask => ({
  id,
  attempt: 1,
  provider: 'sim',
  model: null,
  prompt: 'Write a haiku about files.',
  config,
  batchId: 3,
  artifactsDir,
  channel: 'genops-test-artifacts',
})

describe('artifacts', () => {
  it('writes the output under its batch with a metadata file, and leaves no temporary file', async () => {
    const dir = tempDir()
    const outcome = await runAttempt(task(dir))
    if (!outcome.ok) throw new Error(outcome.message)
    expect(outcome.artifact).toBe(join(dir, '3', '7.txt'))
    expect(readFileSync(outcome.artifact!, 'utf8')).toBe(outcome.output)
    const meta = JSON.parse(readFileSync(join(dir, '3', '7.meta.json'), 'utf8')) as Record<string, unknown>
    expect(meta).toMatchObject({ jobId: 7, attempt: 1, provider: 'sim', model: null, outputTokens: expect.any(Number), file: outcome.artifact })
    expect(meta.promptSha256).toMatch(/^[0-9a-f]{64}$/)
    expect(readdirSync(join(dir, '3')).sort()).toEqual(['7.meta.json', '7.txt'])
  })

  it('names a JSON output .json, and takes a plain output name', async () => {
    const dir = tempDir()
    const outcome = await runAttempt(task(dir, { output: 'json', outputName: 'summary-2026.v1' }))
    expect(outcome).toMatchObject({ ok: true, artifact: join(dir, '3', 'summary-2026.v1.json') })
  })

  it('replaces the file when an attempt runs again, rather than adding one', async () => {
    const dir = tempDir()
    await runAttempt(task(dir, { seed: 1 }))
    const again = await runAttempt(task(dir, { seed: 2 }))
    expect(readdirSync(join(dir, '3')).sort()).toEqual(['7.meta.json', '7.txt'])
    expect(again.ok && readFileSync(again.artifact!, 'utf8') === again.output).toBe(true)
  })

  it.each(['../escape', '..', 'a/b', 'a\\b', '/etc/passwd', '.hidden', ''])('refuses the output name %j before generating', async (outputName) => {
    const dir = tempDir()
    const outcome = await runAttempt(task(dir, { outputName, latencyMs: 60_000 }))
    expect(outcome).toMatchObject({ ok: false, category: 'VALIDATION', retryable: false, message: expect.stringContaining('config.outputName') })
    expect(readdirSync(dir)).toEqual([])
  })

  it('writes no file for a job that asks for none', async () => {
    const dir = tempDir()
    expect(await runAttempt(task(dir, { artifact: false }))).toMatchObject({ ok: true, artifact: null })
    expect(readdirSync(dir)).toEqual([])
  })

  it('never leaves a half file under the final name when the process is killed mid-write', async () => {
    const dir = tempDir()
    const size = 256 * 1024 * 1024
    const child = spawn(process.execPath, ['--import', 'tsx', join(ROOT, 'test/workers/write-big-artifact.ts'), dir, String(size)], {
      cwd: ROOT,
      stdio: 'ignore',
    })
    const exited = once(child, 'exit')
    const folder = join(dir, '1')
    await waitFor(
      () => (existsSync(folder) ? readdirSync(folder) : []),
      (files) => files.some((file) => file.startsWith('big.txt.tmp-')),
      { what: 'the temporary file to appear', timeoutMs: 30_000 },
    )
    child.kill('SIGKILL')
    const [, signal] = await exited
    expect(signal).toBe('SIGKILL')
    // Under the final name there is nothing, or the whole file (had the rename won the race): never a part.
    const final = join(folder, 'big.txt')
    expect(existsSync(final) ? statSync(final).size : 'absent').toSatisfy((seen) => seen === 'absent' || seen === size)
  })
})
