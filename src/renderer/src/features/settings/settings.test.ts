import { describe, expect, test } from 'vitest'
import { draftOf, formatSettingValue, profileOf, withCacheSystemPrompt, type ProfileDraft } from './settings'

const draft = (patch: Partial<ProfileDraft> = {}): ProfileDraft => ({
  editing: null,
  name: 'ollama',
  provider: 'openai',
  model: '',
  baseUrl: '',
  keyFile: '',
  apiKey: '',
  requestsPerMinute: '',
  tokensPerMinute: '',
  maxConcurrent: '',
  fallbacks: '',
  ...patch,
})

describe('the profile form', () => {
  test('gives the contract a profile with its limits, and the key only when one was typed', () => {
    expect(profileOf(draft({ model: ' llama3.2 ', baseUrl: 'http://127.0.0.1:11434/v1', requestsPerMinute: '60', tokensPerMinute: '40,000' }))).toEqual({
      profile: {
        name: 'ollama',
        provider: 'openai',
        model: 'llama3.2',
        baseUrl: 'http://127.0.0.1:11434/v1',
        limits: { requestsPerMinute: 60, tokensPerMinute: 40_000 },
      },
    })
    expect(profileOf(draft({ apiKey: ' sk-1 ' }))).toEqual({ profile: { name: 'ollama', provider: 'openai' }, apiKey: 'sk-1' })
  })

  test('names what is wrong with a field in words', () => {
    expect(profileOf(draft({ maxConcurrent: '1.5' }))).toEqual({ problem: 'At once: a whole number of 1 or more, or empty for no limit' })
    expect(profileOf(draft({ name: 'sim' }))).toEqual({ problem: 'Name: a profile cannot take the name of a provider (sim, local, openai, anthropic)' })
    expect(profileOf(draft({ baseUrl: 'ftp://x' }))).toEqual({ problem: 'Base URL: baseUrl must be an http:// or https:// URL' })
  })

  test('is filled from a saved profile without its key, and keeps its config', () => {
    const filled = draftOf({ name: 'x', provider: 'anthropic', hasKey: true, config: { temperature: 0.2 }, limits: { maxConcurrent: 2 } })
    expect(filled).toMatchObject({ editing: 'x', apiKey: '', maxConcurrent: '2', requestsPerMinute: '' })
    expect(profileOf(filled)).toEqual({ profile: { name: 'x', provider: 'anthropic', config: { temperature: 0.2 }, limits: { maxConcurrent: 2 } } })
  })

  test("caches an Anthropic profile's system prompt when ticked, and keeps the rest of its config either way", () => {
    const filled = draftOf({ name: 'claude', provider: 'anthropic', hasKey: false, config: { system: 'Be brief.' } })
    const ticked = { ...filled, config: withCacheSystemPrompt(filled.config, true) }
    expect(profileOf(ticked)).toEqual({ profile: { name: 'claude', provider: 'anthropic', config: { system: 'Be brief.', cacheSystemPrompt: true } } })
    expect(withCacheSystemPrompt(ticked.config, false)).toEqual({ system: 'Be brief.' })
    expect(withCacheSystemPrompt({ cacheSystemPrompt: true }, false)).toBeUndefined()
    // Only Anthropic has it: the profile's own schema says so before anything is sent.
    expect(profileOf({ ...ticked, provider: 'openai' })).toEqual({ problem: expect.stringMatching(/cacheSystemPrompt/) as string })
  })

  test('keeps and edits its fallbacks, in order', () => {
    const others = [{ name: 'backup' }, { name: 'other', fallbacks: ['backup'] }]
    const filled = draftOf({ name: 'main', provider: 'openai', hasKey: false, fallbacks: ['backup', 'other/gpt-4o-mini'] })
    expect(filled.fallbacks).toBe('backup, other/gpt-4o-mini')
    expect(profileOf(filled, others)).toEqual({ profile: { name: 'main', provider: 'openai', fallbacks: ['backup', 'other/gpt-4o-mini'] } })
    expect(profileOf({ ...filled, fallbacks: ' other/gpt-4o-mini ,, backup ' }, others)).toMatchObject({
      profile: { fallbacks: ['other/gpt-4o-mini', 'backup'] },
    })
    expect(profileOf({ ...filled, fallbacks: 'main' }, others)).toEqual({ problem: 'Fallbacks: profile "main": fallback "main" is the profile itself' })
    expect(profileOf({ ...filled, fallbacks: 'nobody' }, others)).toEqual({
      problem: 'Fallbacks: profile "main": fallback "nobody" names no profile (add "nobody" first)',
    })
    const cycle = [...others, { name: 'backup', fallbacks: ['main'] }].slice(1)
    expect(profileOf({ ...filled, fallbacks: 'backup' }, cycle)).toEqual({ problem: expect.stringMatching(/cycle \(main -> backup -> main\)/) })
  })
})

describe('engine settings', () => {
  test('show durations, sizes and absent values in words', () => {
    expect(formatSettingValue('traces.retentionMs', 7 * 86_400_000)).toBe('7 d')
    expect(formatSettingValue('backoff.baseMs', 1500)).toBe('1500 ms')
    expect(formatSettingValue('breaker.openMs', 30_000)).toBe('30 s')
    expect(formatSettingValue('logs.maxBytes', 10 * 1024 * 1024)).toBe('10 MiB')
    expect(formatSettingValue('metrics.exporter.token', undefined)).toBe('—')
    expect(formatSettingValue('logs.level', 'info')).toBe('info')
    expect(formatSettingValue('breaker.failureRatio', 0.5)).toBe('0.5')
  })
})
