/**
 * The batch lane end to end, against each fake batch API with the real engine and pool:
 * jobs gathered per profile and model, split at the provider's limit, uploaded once,
 * polled to the end and settled as attempts at the batch price; a line the provider
 * refuses dies with the provider's reason, and a line that comes back malformed fails only
 * its own job.
 */
import { describe, expect, it } from 'vitest'
import { formatJob } from '../../src/main/cli-format'
import { tempDir } from '../support/temp'
import { closedAfterEach, KINDS, laneEngine, readRows, saveBatchProfile, settledAll, type AttemptRow } from './support'

const opened = closedAfterEach()

describe.each(KINDS)('the batch lane on $kind', (kind) => {
  it('gathers, splits at the limit, uploads once, settles each line at the batch price', async () => {
    const fake = opened(await kind.start())
    const dataDir = tempDir()
    const engine = opened(await laneEngine(dataDir, { batchLane: { limits: { [kind.kind]: { maxRequests: 3, maxBytes: 1_000_000 } } } }))
    await saveBatchProfile(engine, kind, fake)
    const prompts = ['one', 'two', 'three', 'four', 'five', 'six', 'seven'].map((word) => `Say the word ${word}`)
    const { jobIds } = await engine.call('enqueueJobs', {
      jobs: prompts.map((prompt) => ({ prompt, provider: 'batchy', config: { lane: 'batch' } })),
      batchName: 'lifecycle',
    })
    await settledAll(engine)

    // 7 jobs at 3 a batch: three provider batches, every line uploaded once.
    expect(fake.book.batches.size).toBe(3)
    expect(fake.book.linesUploaded).toBe(7)
    const jobs = readRows<{ id: number; state: string; output: string; attempts_made: number; provider_batch_id: number }>(
      dataDir,
      'SELECT id, state, output, attempts_made, provider_batch_id FROM jobs ORDER BY id',
    )
    expect(jobs.map((job) => job.state)).toEqual(Array(7).fill('completed'))
    expect(jobs.map((job) => job.output)).toEqual(prompts.map((prompt) => `Answer to: ${prompt}`))
    expect(jobs.every((job) => job.attempts_made === 1 && job.provider_batch_id !== null)).toBe(true)

    // Tokens as the fake counts them (words), priced at half the list price of the model.
    const attempts = readRows<AttemptRow>(dataDir, 'SELECT * FROM job_attempts ORDER BY job_id')
    expect(attempts).toHaveLength(7)
    for (const [i, attempt] of attempts.entries()) {
      const input = prompts[i]!.split(' ').length
      const output = input + 2
      expect([attempt.outcome, attempt.input_tokens, attempt.output_tokens]).toEqual(['ok', input, output])
      expect(attempt.cost_usd).toBeCloseTo(((input * kind.input + output * kind.output) / 1e6) * 0.5, 12)
    }
    const batches = readRows<{ state: string; remote_id: string; succeeded: number; requests: number }>(
      dataDir,
      'SELECT state, remote_id, succeeded, requests FROM provider_batches ORDER BY id',
    )
    expect(batches.map((batch) => [batch.state, batch.requests, batch.succeeded])).toEqual([
      ['settled', 3, 3],
      ['settled', 3, 3],
      ['settled', 1, 1],
    ])
    expect(new Set(batches.map((batch) => batch.remote_id)).size).toBe(3)

    // The job detail names the provider batch and where it stands.
    const detail = await engine.call('getJob', { id: jobIds[0]! })
    expect(detail.providerBatch).toEqual({ id: expect.any(Number), remoteId: batches[0]!.remote_id, state: 'settled', remoteStatus: expect.any(String) })
    expect(formatJob(detail)).toContain(`provider batch ${batches[0]!.remote_id}: settled (${detail.providerBatch!.remoteStatus} at the provider)`)
  })

  it('fails a refused line with the provider reason and a malformed or mangled line alone, and runs the rest', async () => {
    const fake = opened(await kind.start())
    fake.book.answer = (request) => {
      const prompt = JSON.stringify(request.body)
      if (prompt.includes('refuse me')) return { status: 400, type: 'invalid_request_error', message: 'max_tokens is too large for this model' }
      if (prompt.includes('garble me')) return 'malformed'
      if (prompt.includes('mangle me')) return 'mangled'
      return { text: 'fine' }
    }
    const dataDir = tempDir()
    const engine = opened(await laneEngine(dataDir))
    await saveBatchProfile(engine, kind, fake)
    const { jobIds } = await engine.call('enqueueJobs', {
      jobs: ['ok first', 'refuse me', 'garble me', 'mangle me', 'ok last'].map((prompt) => ({
        prompt,
        provider: 'batchy',
        attempts: 1,
        config: { lane: 'batch' },
      })),
      batchName: 'mixed',
    })
    await settledAll(engine)
    const jobs = readRows<{ id: number; state: string; error_category: string | null; last_error: string | null }>(
      dataDir,
      'SELECT id, state, error_category, last_error FROM jobs ORDER BY id',
    )
    expect(jobs.map((job) => job.state)).toEqual(['completed', 'dead', 'dead', 'dead', 'completed'])
    expect(jobs[1]!.error_category).toBe('VALIDATION')
    expect(jobs[1]!.last_error).toContain('max_tokens is too large for this model')
    expect(jobs[2]!.error_category).toBe('PROVIDER')
    expect(jobs[2]!.last_error).toMatch(/result line is not JSON/)
    // JSON a reader trips on (a null content block or choice) fails its own line; the batch still settles.
    expect(jobs[3]!.error_category).toBe('PROVIDER')
    expect(jobs[3]!.last_error).toMatch(/content block that is not an object|no message content/)
    expect(jobIds).toHaveLength(5)
    expect(fake.book.linesUploaded).toBe(5)
  })
})
