/**
 * Token classes as the providers report them, against real HTTP servers on loopback: OpenAI's
 * cached tokens taken out of prompt_tokens; Anthropic's cache reads and writes beside its
 * input_tokens, with the system prompt marked for the cache when a profile says
 * cacheSystemPrompt (and only for Anthropic: the profile schema refuses it elsewhere).
 */
import { afterEach, describe, expect, it } from 'vitest'
import { ProviderProfile } from '../../src/shared/providers'
import { anthropic } from '../../src/workers/providers/anthropic'
import { openai } from '../../src/workers/providers/openai'
import { sim } from '../../src/workers/providers/sim'
import { startFakeAnthropic, type FakeAnthropic } from '../support/fake-anthropic'
import { startFakeOpenAI, type FakeOpenAI } from '../support/fake-openai'
import { tokens } from '../support/fake-server'
import { generateWith } from '../support/providers'

let fakes: (FakeOpenAI | FakeAnthropic)[] = []
afterEach(async () => {
  await Promise.all(fakes.map((fake) => fake.close()))
  fakes = []
})

const SYSTEM = 'You are a careful analyst of rivers and their long histories.'
const PROMPT = 'Name a river.'

describe('token classes from the providers', () => {
  it('openai: cached_tokens are their own class, and plain input is prompt_tokens less them', async () => {
    const fake = await startFakeOpenAI({ text: 'The Loire.', cachedTokens: 2 })
    fakes.push(fake)
    const endpoint = { profile: 'gateway', baseUrl: fake.url }
    const generation = await generateWith(openai, PROMPT, 'gpt-4o', { system: SYSTEM }, undefined, endpoint).result
    const prompt = tokens(SYSTEM).length + tokens(PROMPT).length
    expect(generation).toEqual({ text: 'The Loire.', inputTokens: prompt - 2, cachedInputTokens: 2, outputTokens: 2 })
  })

  it('anthropic with cacheSystemPrompt: the system prompt goes as a block with cache_control, written once, then read', async () => {
    const fake = await startFakeAnthropic({ text: 'The Loire.' })
    fakes.push(fake)
    const endpoint = { profile: 'claude', baseUrl: fake.url }
    const run = (prompt: string) => generateWith(anthropic, prompt, 'claude-sonnet-4', { system: SYSTEM, cacheSystemPrompt: true }, undefined, endpoint).result
    const first = await run(PROMPT)
    const second = await run('Name a lake.')
    expect(fake.requests[0]!.body.system).toEqual([{ type: 'text', text: SYSTEM, cache_control: { type: 'ephemeral' } }])
    expect(first).toEqual({ text: 'The Loire.', inputTokens: tokens(PROMPT).length, cacheWriteTokens: tokens(SYSTEM).length, outputTokens: 2 })
    expect(second).toEqual({ text: 'The Loire.', inputTokens: tokens('Name a lake.').length, cachedInputTokens: tokens(SYSTEM).length, outputTokens: 2 })
  })

  it('anthropic without it: the system prompt is plain text, counted as plain input', async () => {
    const fake = await startFakeAnthropic({ text: 'The Loire.' })
    fakes.push(fake)
    const generation = await generateWith(anthropic, PROMPT, 'claude-sonnet-4', { system: SYSTEM }, undefined, { profile: 'claude', baseUrl: fake.url }).result
    expect(fake.requests[0]!.body.system).toBe(SYSTEM)
    expect(generation).toEqual({ text: 'The Loire.', inputTokens: tokens(SYSTEM).length + tokens(PROMPT).length, outputTokens: 2 })
  })

  it('the simulator reports the classes its config asks for, out of the prompt’s tokens', async () => {
    const prompt = 'x'.repeat(400)
    const generation = await generateWith(sim, prompt, null, { cachedInputTokens: 60, cacheWriteTokens: 100, outputTokens: 5 }).result
    expect(generation).toMatchObject({ inputTokens: 0, cachedInputTokens: 60, cacheWriteTokens: 40, outputTokens: 5 })
    expect(await generateWith(sim, prompt, null, { outputTokens: 5 }).result).not.toHaveProperty('cachedInputTokens')
  })
})

describe('cacheSystemPrompt in a profile', () => {
  const profile = (provider: string, config: Record<string, unknown>) => ProviderProfile.safeParse({ name: 'claude', provider, config })

  it('is an Anthropic setting, true or false, checked where the profile is saved', () => {
    expect(profile('anthropic', { cacheSystemPrompt: true, system: 'Be brief.' }).success).toBe(true)
    const elsewhere = profile('openai', { cacheSystemPrompt: true })
    expect(elsewhere.success).toBe(false)
    expect(elsewhere.error!.issues[0]!.message).toMatch(/cacheSystemPrompt/)
    const wrong = profile('anthropic', { cacheSystemPrompt: 'yes' })
    expect(wrong.error!.issues[0]!.message).toMatch(/cacheSystemPrompt must be true or false/)
  })
})
