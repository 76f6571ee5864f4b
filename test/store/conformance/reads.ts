/** Conformance, the jobs screen's reads: pages in each sort under filters, their totals, and the choices the filters offer. */
import { describe, expect, it } from 'vitest'
import type { JobSort, ListPosition } from '../../../src/shared/job-list'
import type { ListOptions } from '../../../src/main/queue/store'
import { claim, job, OWNER, T0, ok } from './harness'
import { freshReads, type ReadsFactory, type ReadsStore } from './reads-harness'

/** Every page of a listing, following `next` from the first; each page's ids, and the first page's total. */
async function pages(store: ReadsStore, options: Omit<ListOptions, 'limit' | 'after'>, limit: number, now = T0) {
  const seen: number[][] = []
  let after: ListPosition | undefined
  let first: { total?: number; totalCapped?: boolean } | undefined
  for (let i = 0; i < 50; i++) {
    const page = await store.list({ ...options, limit, ...(after ? { after } : {}) }, now)
    first ??= { total: page.total, totalCapped: page.totalCapped }
    if (page.jobs.length) seen.push(page.jobs.map((j) => j.id))
    if (page.next === null) return { ids: seen.flat(), pages: seen, total: first.total }
    after = page.next
  }
  throw new Error('the listing never ended')
}

/** Thirteen jobs in two batches: providers, models, priorities, tags and prompts to filter on; one delayed, two finished. */
async function seed(store: ReadsStore) {
  const prompts = ['job 0', 'job 1', 'job 2', 'Hello 100% World', 'hello_world', 'HELLO there', 'foo_bar', 'fooXbar', 'job 8', 'Ünïcode ÉCOLE']
  const first = await store.enqueue(
    prompts.map((prompt, i) =>
      job(prompt, {
        priority: i % 3,
        provider: i < 6 ? 'sim' : 'openai',
        model: i < 6 ? (i % 2 ? 'm1' : null) : 'gpt',
        tags: i === 9 ? null : i % 2 ? ['all'] : ['even', 'all'],
        ...(i === 8 ? { runAt: T0 + 60_000 } : {}),
      }),
    ),
    'first',
    T0,
  )
  const second = await store.enqueue([job('other a'), job('other b', { tags: ['x%'] }), job('other c')], 'second', T0)
  const a = first.jobIds
  const b = second.jobIds
  // Two finish: the claim takes the two oldest high-priority jobs.
  const { jobs } = await claim(store, T0, 2)
  await store.settle(
    jobs.map((j) => ok(j.id)),
    OWNER,
  )
  return { a, b, all: [...a, ...b], finished: jobs.map((j) => j.id) }
}

const byIdDesc = (ids: number[]) => [...ids].sort((x, y) => y - x)
const byIdAsc = (ids: number[]) => [...ids].sort((x, y) => x - y)

export function readsConformance(factory: ReadsFactory): void {
  describe('the jobs list', () => {
    it('pages every job in each sort by keyset, with the kept total on the first page', async () => {
      const store = await freshReads(factory)
      const { a, b, all } = await seed(store)
      const newest = await pages(store, {}, 4)
      expect(newest.ids).toEqual(byIdDesc(all))
      expect(newest.pages.map((p) => p.length)).toEqual([4, 4, 4, 1])
      expect(newest.total).toBe(13)
      expect((await pages(store, { sort: 'oldest' }, 5)).ids).toEqual(byIdAsc(all))
      // Priority: high first, then normal, then low; newest first within each.
      const rank = new Map([...a.map((id, i) => [id, i % 3] as const), ...b.map((id) => [id, 1] as const)])
      const expected = [...all].sort((x, y) => rank.get(x)! - rank.get(y)! || y - x)
      for (const limit of [1, 3, 4, 13, 20]) expect((await pages(store, { sort: 'priority' }, limit)).ids).toEqual(expected)
      // Keyset by id alone (the CLI's paging).
      const page = await store.list({ beforeId: all[5]!, limit: 3 }, T0)
      expect(page.jobs.map((j) => j.id)).toEqual([all[4], all[3], all[2]])
      expect(page.total).toBeUndefined()
    })

    it('filters by state (delayed and queued apart), batch, provider, model and several at once, in every sort', async () => {
      const store = await freshReads(factory)
      const { a, b, finished } = await seed(store)
      const sorts: JobSort[] = ['newest', 'oldest', 'priority']
      const expectIds = async (options: Omit<ListOptions, 'limit' | 'after'>, ids: number[], total: number | null = ids.length) => {
        expect(finished).toEqual([a[0], a[3]])
        for (const sort of sorts) {
          const listed = await pages(store, { ...options, sort }, 2)
          expect(byIdAsc(listed.ids), `${JSON.stringify(options)} by ${sort}`).toEqual(byIdAsc(ids))
          expect(listed.total ?? null, `total of ${JSON.stringify(options)} by ${sort}`).toBe(total)
        }
      }
      await expectIds({ state: 'delayed' }, [a[8]!])
      await expectIds({ state: 'completed' }, finished)
      await expectIds(
        { state: 'queued' },
        [...a, ...b].filter((id) => id !== a[8] && !finished.includes(id)),
      )
      await expectIds({ batchId: (await store.get(b[0]!, T0))!.batchId! }, b)
      await expectIds({ provider: 'openai' }, a.slice(6, 10), null)
      await expectIds({ provider: 'sim', model: 'm1' }, [a[1]!, a[3]!, a[5]!])
      await expectIds({ model: 'gpt' }, a.slice(6, 10), null)
      // A provider without its model: no one index answers it, so a first page that is not the last has no total.
      await expectIds(
        { provider: 'sim', state: 'queued' },
        [...a.slice(0, 6), ...b].filter((id) => !finished.includes(id)),
        null,
      )
      await expectIds({ provider: 'nobody' }, [])
    })

    it('filters by tag and by text in the prompt, ASCII case folded and wildcards taken literally', async () => {
      const store = await freshReads(factory)
      const { a, b } = await seed(store)
      const ids = async (options: Omit<ListOptions, 'limit' | 'after'>) => byIdAsc((await pages(store, options, 3)).ids)
      expect(await ids({ tag: 'even' })).toEqual([a[0], a[2], a[4], a[6], a[8]])
      expect(await ids({ tag: 'all' })).toEqual(a.slice(0, 9))
      expect(await ids({ tag: 'x%' })).toEqual([b[1]])
      expect(await ids({ tag: 'x' })).toEqual([])
      expect(await ids({ tag: 'al' })).toEqual([])
      expect(await ids({ search: 'hello' })).toEqual([a[3], a[4], a[5]])
      expect(await ids({ search: '100%' })).toEqual([a[3]])
      expect(await ids({ search: '%' })).toEqual([a[3]])
      expect(await ids({ search: 'o_b' })).toEqual([a[6]])
      expect(await ids({ search: 'O_B' })).toEqual([a[6]])
      // SQLite's LIKE folds ASCII letters only: é and É are different letters to it.
      expect(await ids({ search: 'école' })).toEqual([])
      expect(await ids({ search: 'ÉCOLE' })).toEqual([a[9]])
      expect(await ids({ search: 'ünïcode' })).toEqual([])
      expect(await ids({ search: 'Ünïcode' })).toEqual([a[9]])
      expect(await ids({ search: 'cole' })).toEqual([a[9]])
      expect(await ids({ search: 'hello', tag: 'even', provider: 'sim' })).toEqual([a[4]])
      // A page that holds every match knows its total; a filter no one index answers gives none past a full page.
      expect((await store.list({ search: 'hello', limit: 4 }, T0)).total).toBe(3)
      const partial = await store.list({ search: 'job', limit: 2 }, T0)
      expect(partial.jobs).toHaveLength(2)
      expect(partial.total).toBeUndefined()
      // One index answers a batch: its count, capped, comes with a page that is not the last.
      const batchId = (await store.get(a[0]!, T0))!.batchId!
      const counted = await store.list({ batchId, limit: 2 }, T0)
      expect(counted).toMatchObject({ total: 10, next: { id: counted.jobs[1]!.id } })
      expect(counted.totalCapped).toBeUndefined()
    })

    it('refreshes known rows by id, under the filters, in the sort’s order', async () => {
      const store = await freshReads(factory)
      const { a, b } = await seed(store)
      const ids = [a[0]!, a[1]!, a[2]!, b[2]!, 999_999]
      const listed = async (options: Omit<ListOptions, 'ids'>) => (await store.list({ ...options, ids }, T0)).jobs.map((j) => j.id)
      expect(await listed({ limit: 10 })).toEqual(byIdDesc(ids.slice(0, 4)))
      expect(await listed({ limit: 10, sort: 'oldest' })).toEqual(byIdAsc(ids.slice(0, 4)))
      expect(await listed({ limit: 10, sort: 'priority' })).toEqual([a[0], b[2], a[1], a[2]])
      expect(await listed({ limit: 10, provider: 'sim', model: 'm1' })).toEqual([a[1]])
      const page = await store.list({ ids, limit: 10 }, T0)
      expect(page.next).toBeNull()
      expect(page.total).toBeUndefined()
      expect(page.jobs.find((j) => j.id === a[0])).toMatchObject({ provider: 'sim', model: null, promptPreview: 'job 0', priority: 'high' })
    })
  })

  describe('the filters’ choices', () => {
    it('offers the providers with their models, the newest batches and the recent jobs’ tags, sorted', async () => {
      const store = await freshReads(factory)
      expect(await store.filterOptions()).toEqual({ providers: [], batches: [], tags: [] })
      const { a, b } = await seed(store)
      const options = await store.filterOptions()
      expect(options.providers).toEqual([
        { provider: 'openai', models: ['gpt'], defaultModel: false },
        { provider: 'sim', models: ['m1'], defaultModel: true },
      ])
      const batchOf = async (id: number) => (await store.get(id, T0))!.batchId!
      expect(options.batches).toEqual([
        { id: await batchOf(b[0]!), name: 'second', createdAt: T0, jobCount: 3 },
        { id: await batchOf(a[0]!), name: 'first', createdAt: T0, jobCount: 10 },
      ])
      expect(options.tags).toEqual(['all', 'even', 'x%'])
      await store.enqueue([job('z', { provider: 'Zed', model: 'B' }), job('z', { provider: 'Zed', model: 'a' })], 'third', T0)
      const cased = await store.filterOptions()
      // Byte order, as SQLite's BINARY collation sorts: upper case first.
      expect(cased.providers.map((p) => p.provider)).toEqual(['Zed', 'openai', 'sim'])
      expect(cased.providers[0]!.models).toEqual(['B', 'a'])
    })
  })
}
