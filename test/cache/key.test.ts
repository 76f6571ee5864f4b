/** The response cache's key: what makes an answer is in it; a credential, or where the answer is filed, never is. */
import { describe, expect, it } from 'vitest'
import { cacheApplies, cacheKey, endpointOf } from '../../src/main/cache/key'
import { resolveProvider, type Resolved } from '../../src/main/queue/profiles'
import type { ProviderProfile } from '../../src/shared/providers'

const openai = (config: Record<string, unknown> = {}, model: string | null = 'gpt-4o-mini'): Resolved => ({ provider: 'openai', model, config })

describe('the cache key', () => {
  it('changes with the provider kind, endpoint, model, rendered prompt, any parameter and the output schema', () => {
    const base = cacheKey(openai({ temperature: 0.2 }), 'Hi')
    expect(base).toMatch(/^[0-9a-f]{64}$/)
    const others = [
      cacheKey({ ...openai({ temperature: 0.2 }), provider: 'anthropic' }, 'Hi'),
      cacheKey(openai({ temperature: 0.2, baseUrl: 'http://127.0.0.1:11434/v1' }), 'Hi'),
      cacheKey(openai({ temperature: 0.2 }, 'gpt-4o'), 'Hi'),
      cacheKey(openai({ temperature: 0.2 }), 'Hi!'),
      cacheKey(openai({ temperature: 0.3 }), 'Hi'),
      cacheKey(openai({ temperature: 0.2, seed: 1 }), 'Hi'),
      cacheKey(openai({ temperature: 0.2, system: 'Be brief.' }), 'Hi'),
      cacheKey(openai({ temperature: 0.2, output: 'json' }), 'Hi'),
      cacheKey(openai({ temperature: 0.2, output: { schema: { type: 'object' } } }), 'Hi'),
      cacheKey(openai({ temperature: 0.2, output: { schema: { type: 'array' } } }), 'Hi'),
    ]
    expect(new Set([base, ...others]).size).toBe(others.length + 1)
  })

  it('is the same for the same request written differently, rendered from variables, or filed and limited differently', () => {
    const key = cacheKey(openai({ temperature: 0.2, maxTokens: 9, output: 'text' }), 'About Lyon')
    expect(cacheKey(openai({ maxTokens: 9, temperature: 0.2 }), 'About Lyon')).toBe(key)
    expect(cacheKey(openai({ temperature: 0.2, maxTokens: 9, vars: { city: 'Lyon' } }), 'About {{city}}')).toBe(key)
    expect(cacheKey(openai({ temperature: 0.2, maxTokens: 9, outputName: 'lyon', artifact: false, timeoutMs: 5000, cache: true }), 'About Lyon')).toBe(key)
    // A placeholder without a value cannot be rendered: no key, and the worker fails the job saying which.
    expect(cacheKey(openai({}), 'About {{city}}')).toBeNull()
  })

  it('never takes a credential: a profile key, a key file, a user and password or a key in the URL', () => {
    const profile: ProviderProfile = { name: 'work', provider: 'openai', baseUrl: 'https://gw.example.com/v1?api-version=2024&api_key=abc', model: 'gpt-4o' }
    const profiles = new Map([['work', profile]])
    const job = { provider: 'work', model: null, config: {} }
    const one = resolveProvider(job, profiles, new Map([['work', 'sk-first-key-000000000000']]))
    const other = resolveProvider(job, new Map([['work', { ...profile, keyFile: '/keys/work' }]]), new Map([['work', 'sk-second-key-11111111111']]))
    expect(cacheKey(one, 'p')).toBe(cacheKey(other, 'p'))
    expect(endpointOf(one)).toBe('https://gw.example.com/v1?api-version=2024')
    expect(endpointOf(resolveProvider(job, new Map([['work', { ...profile, baseUrl: 'https://me:hunter2@gw.example.com/v1' }]])))).toBe(
      'https://gw.example.com/v1',
    )
  })

  it('applies by the job’s word, else the queue’s default', () => {
    expect(cacheApplies({}, true)).toBe(true)
    expect(cacheApplies({}, false)).toBe(false)
    expect(cacheApplies({ cache: false }, true)).toBe(false)
    expect(cacheApplies({ cache: true }, false)).toBe(true)
  })
})
