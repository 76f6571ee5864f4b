/** The jobs screen's filters, search and sorts in Chromium against `genops serve`, with the queue paused so nothing moves. */
import { describe, expect, inject, test } from 'vitest'
import type { JobSpec } from '../src/shared/jobs'
import { saveScreenshots } from './fixtures/screenshots'
import { useServedPage } from './fixtures/session'
import { JobsPage } from './pages/jobs-page'

const chromiumPath = inject('chromiumPath')

const TOPICS = ['lighthouses', 'tax forms', 'a rainy harbour', 'release notes']

/** Twelve jobs of one batch, eight of another: providers, models, tags, priorities and prompts to filter by. */
function specs(from: number, count: number): JobSpec[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k
    return {
      prompt: i % 3 === 0 ? `Describe the weather in city ${i} for a travel guide.` : `Write a short poem about ${TOPICS[i % TOPICS.length]} (${i}).`,
      provider: i % 4 === 0 ? 'openai' : 'sim',
      ...(i % 4 === 0 ? { model: 'gpt-4o-mini' } : i % 2 === 1 ? { model: 'sim-large' } : {}),
      tags: i % 2 === 1 ? ['red'] : ['blue'],
      priority: i % 5 === 0 ? 'high' : i % 5 === 1 ? 'low' : 'normal',
    }
  })
}

describe.skipIf(!chromiumPath && process.env.CI !== 'true')('jobs screen filters', () => {
  const session = useServedPage(chromiumPath!, { viewport: { width: 1280, height: 800 } })

  test('says what to do first, then filters, searches and sorts the list', async () => {
    const { page, served } = session
    const jobs = new JobsPage(page)
    await jobs.open(served.url)
    const empty = page.locator('[data-empty="no-jobs"]')
    await empty.waitFor()
    expect(await empty.textContent()).toContain('Drop prompt files anywhere on this window, or enqueue from the CLI: genops enqueue prompts.jsonl')

    await served.call('pauseQueue', {})
    const firstSpecs = specs(0, 12)
    const secondSpecs = specs(12, 8)
    const first = await served.call('enqueueJobs', { jobs: firstSpecs, batchName: 'first.jsonl' })
    const second = await served.call('enqueueJobs', { jobs: secondSpecs, batchName: 'second.jsonl' })
    const all = [...first.jobIds, ...second.jobIds].map((id, i) => ({ id, ...[...firstSpecs, ...secondSpecs][i]! }))
    const newest = (pick: (job: (typeof all)[number]) => boolean) =>
      all
        .filter(pick)
        .map((job) => job.id)
        .reverse()
    await jobs.loaded(20).waitFor()
    expect(await jobs.shownIds()).toEqual(newest(() => true))

    // `/` goes to the search box.
    await page.keyboard.press('/')
    await page.locator('[data-search]:focus').waitFor()
    await jobs.searchFor('WEATHER')
    await jobs.showing({ search: 'WEATHER' })
    expect(await jobs.shownIds()).toEqual(newest((job) => job.prompt.includes('weather')))
    await jobs.searchFor('')
    await jobs.showing({})

    await jobs.choose('provider', 'openai')
    await jobs.showing({ provider: 'openai' })
    expect(await jobs.shownIds()).toEqual(newest((job) => job.provider === 'openai'))
    await jobs.choose('model', 'gpt-4o-mini')
    await jobs.showing({ provider: 'openai', model: 'gpt-4o-mini' })
    expect(await jobs.shownIds()).toEqual(newest((job) => job.model === 'gpt-4o-mini'))
    // Another provider clears the model: it was the old provider's.
    await jobs.choose('provider', 'sim')
    await jobs.showing({ provider: 'sim' })
    await jobs.choose('model', 'sim-large')
    await jobs.showing({ provider: 'sim', model: 'sim-large' })
    expect(await jobs.shownIds()).toEqual(newest((job) => job.provider === 'sim' && job.model === 'sim-large'))
    await jobs.choose('provider', '')
    await jobs.showing({})

    await jobs.choose('batch', String(second.batchId))
    await jobs.showing({ batchId: second.batchId })
    expect(await jobs.shownIds()).toEqual([...second.jobIds].reverse())
    await jobs.tag('red')
    await jobs.showing({ batchId: second.batchId, tag: 'red' })
    expect(await jobs.shownIds()).toEqual(newest((job) => second.jobIds.includes(job.id) && job.tags!.includes('red')))

    // Nothing matches: the list says so, and how to get out.
    await jobs.searchFor('no prompt says this')
    await jobs.showing({ batchId: second.batchId, tag: 'red', search: 'no prompt says this' })
    await page.locator('[data-empty="no-match"]').getByRole('button', { name: 'Clear them' }).click()
    await jobs.showing({})
    await jobs.loaded(20).waitFor()

    await jobs.choose('sort', 'oldest')
    await jobs.showing({ sort: 'oldest' })
    expect(await jobs.shownIds()).toEqual(newest(() => true).reverse())
    await jobs.choose('sort', 'priority')
    await jobs.showing({ sort: 'priority' })
    const rank = { high: 0, normal: 1, low: 2 } as const
    expect(await jobs.shownIds()).toEqual(
      [...all].sort((a, b) => rank[a.priority ?? 'normal'] - rank[b.priority ?? 'normal'] || b.id - a.id).map((job) => job.id),
    )

    // A state tab and the other filters together.
    await page.locator('[data-count-state="queued"]').click()
    await jobs.showing({ sort: 'priority', state: 'queued' })
    await jobs.searchFor('poem')
    await jobs.showing({ sort: 'priority', state: 'queued', search: 'poem' })
    expect((await jobs.shownIds()).length).toBe(all.filter((job) => job.prompt.includes('poem')).length)

    await jobs.searchFor('')
    await jobs.choose('sort', 'newest')
    await jobs.showing({ state: 'queued' })
    await saveScreenshots(page, 'jobs')
    expect(session.problems).toEqual([])
  })
})
