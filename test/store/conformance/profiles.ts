/** Provider profiles on any store: saved, listed by name, replaced, removed, and their sealed keys kept as bytes. */
import { expect, it } from 'vitest'
import { T0, failureOf, freshStore, type StoreFactory } from './harness'
import { type EngineStateStore } from './engine-stores'

export function profilesConformance(factory: StoreFactory<EngineStateStore>): void {
  it('saves profiles, lists them by name, replaces one saved again and removes one', async () => {
    const { store, another } = await freshStore(factory)
    await store.saveProfile({ name: 'work', provider: 'openai', model: 'gpt-4o-mini', limits: { requestsPerMinute: 60 } }, T0)
    await store.saveProfile({ name: 'claude', provider: 'anthropic', config: { maxTokens: 512 } }, T0)
    await store.saveProfile({ name: 'worka', provider: 'openai' }, T0)
    await store.saveProfile({ name: 'work-b', provider: 'local', baseUrl: 'http://127.0.0.1:11434/v1' }, T0)
    // By the bytes of the name ("-" before "a"), whatever the database's locale would say.
    expect((await store.listProfiles()).map((profile) => profile.name)).toEqual(['claude', 'work', 'work-b', 'worka'])
    await store.saveProfile({ name: 'work', provider: 'openai', model: 'gpt-4o' }, T0 + 1)
    // Another process reads what this one saved, each field as it was given.
    const other = await another()
    expect(await other.listProfiles()).toEqual([
      { name: 'claude', provider: 'anthropic', config: { maxTokens: 512 } },
      { name: 'work', provider: 'openai', model: 'gpt-4o' },
      { name: 'work-b', provider: 'local', baseUrl: 'http://127.0.0.1:11434/v1' },
      { name: 'worka', provider: 'openai' },
    ])
    expect(await other.removeProfile('claude')).toBe(true)
    expect(await store.removeProfile('claude')).toBe(false)
    expect((await store.listProfiles()).map((profile) => profile.name)).toEqual(['work', 'work-b', 'worka'])
  })

  it('leaves out a saved profile that does not parse, and lists the others', async () => {
    const { store } = await freshStore(factory)
    await store.saveProfile({ name: 'work', provider: 'openai' }, T0)
    // Saved as given (the operations validate before saving); read back, it does not parse.
    await store.saveProfile({ name: 'Not-Lower', provider: 'openai' }, T0)
    expect(await store.listProfiles()).toEqual([{ name: 'work', provider: 'openai' }])
  })

  it("keeps a profile's sealed key as the bytes given, clears it, and refuses one for no profile", async () => {
    const { store } = await freshStore(factory)
    await store.saveProfile({ name: 'work', provider: 'openai' }, T0)
    await store.saveProfile({ name: 'spare', provider: 'openai' }, T0)
    const sealed = Buffer.from([0, 1, 2, 254, 255, 0, 128, 10, 13])
    expect(await store.setProfileSecret('work', sealed)).toBe(true)
    expect(await store.setProfileSecret('missing', sealed)).toBe(false)
    const secrets = await store.profileSecrets()
    expect([...secrets.keys()]).toEqual(['work'])
    expect(Buffer.isBuffer(secrets.get('work'))).toBe(true)
    expect(secrets.get('work')!.equals(sealed)).toBe(true)
    // Saving the profile again keeps its key: the key is not one of its settings.
    await store.saveProfile({ name: 'work', provider: 'openai', model: 'gpt-4o' }, T0 + 1)
    expect((await store.profileSecrets()).get('work')?.equals(sealed)).toBe(true)
    expect(await store.setProfileSecret('work', null)).toBe(true)
    expect((await store.profileSecrets()).size).toBe(0)
  })

  it('saves a profile and its sealed key in one write, and replaces the key only when given one', async () => {
    const { store } = await freshStore(factory)
    const first = Buffer.from('first sealed key')
    const second = Buffer.from('second sealed key')
    await store.saveProfile({ name: 'work', provider: 'openai', baseUrl: 'https://api.example.test/v1' }, T0, first)
    expect((await store.profileSecrets()).get('work')?.equals(first)).toBe(true)
    await store.saveProfile({ name: 'work', provider: 'openai', model: 'gpt-4o', baseUrl: 'https://api.example.test/v1' }, T0 + 1)
    expect((await store.profileSecrets()).get('work')?.equals(first)).toBe(true)
    await store.saveProfile({ name: 'work', provider: 'openai', baseUrl: 'https://api.example.test/v1' }, T0 + 2, second)
    expect((await store.profileSecrets()).get('work')?.equals(second)).toBe(true)
    expect(await store.listProfiles()).toEqual([{ name: 'work', provider: 'openai', baseUrl: 'https://api.example.test/v1' }])
  })

  it('reseals keys all at once, and none when one changed since it was read', async () => {
    const { store, another } = await freshStore(factory)
    const [a1, b1, a2, b2] = ['a1', 'b1', 'a2', 'b2'].map((text) => Buffer.from(`sealed ${text}`))
    await store.saveProfile({ name: 'a', provider: 'openai' }, T0, a1)
    await store.saveProfile({ name: 'b', provider: 'openai' }, T0, b1)
    // Another engine saves b's key after the rotation read it: nothing is resealed, and the error names b.
    await (await another()).saveProfile({ name: 'b', provider: 'openai' }, T0 + 1, Buffer.from('saved meanwhile'))
    const stale = [
      { name: 'a', from: a1!, to: a2! },
      { name: 'b', from: b1!, to: b2! },
    ]
    expect(await failureOf(() => store.resealProfileSecrets(stale))).toMatchObject({ name: 'Error', profile: 'b' })
    const kept = await store.profileSecrets()
    expect([kept.get('a')?.toString(), kept.get('b')?.toString()]).toEqual(['sealed a1', 'saved meanwhile'])
    await store.resealProfileSecrets([{ name: 'a', from: a1!, to: a2! }])
    expect((await store.profileSecrets()).get('a')?.toString()).toBe('sealed a2')
  })
}
