/**
 * The settings screen end to end against `genops serve`: a profile saved with limits and
 * listed; its API key write-only, and refused in words in headless mode (no keychain); a
 * provider paused and resumed; a breaker held open and reset; the health report, the
 * Workers panel, the engine's settings and the keyboard shortcuts shown; the response cache's size, cleared
 * after a confirmation.
 */
import { describe, expect, inject, test } from 'vitest'
import { saveScreenshots } from './fixtures/screenshots'
import { useServedPage } from './fixtures/session'
import { SettingsPage } from './pages/settings-page'

const chromiumPath = inject('chromiumPath')

describe.skipIf(!chromiumPath && process.env.CI !== 'true')('settings screen', () => {
  const session = useServedPage(chromiumPath!, { viewport: { width: 1280, height: 1000 } })

  test('saves a profile with limits, keeps keys write-only, and lists it', async () => {
    const { page, served } = session
    const settings = new SettingsPage(page)
    await settings.open(served.url)
    await page.locator('[data-no-profiles]').waitFor()

    await page.locator('button[data-new-profile]').click()
    await settings.form().waitFor()
    // A wrong value is named in words before anything is sent.
    await settings.fill({ name: 'Ollama Local', provider: 'openai', requestsPerMinute: 'sixty' })
    await settings.save()
    await settings.formProblem().waitFor()
    expect(await settings.formProblem().textContent()).toBe('Requests per minute: a whole number of 1 or more, or empty for no limit')
    await settings.fill({ requestsPerMinute: '60' })
    await settings.save()
    expect(await settings.formProblem().textContent()).toBe('Name: a profile name is up to 64 lower-case letters, digits, ".", "_" or "-"')

    await settings.fill({ name: 'ollama', model: 'llama3.2', baseUrl: 'http://127.0.0.1:11434/v1', tokensPerMinute: '40000', maxConcurrent: '2' })
    await settings.save()
    await settings.profile('ollama').waitFor()
    await settings.form().waitFor({ state: 'detached' })
    expect(await settings.profile('ollama').locator('[data-limits]').textContent()).toBe('60 requests/min · 40,000 tokens/min · 2 at once')
    expect(await settings.profile('ollama').locator('[data-key-source]').textContent()).toBe('OPENAI_API_KEY, if set')
    const { profiles } = await served.call('listProviders', {})
    expect(profiles).toEqual([
      {
        name: 'ollama',
        provider: 'openai',
        model: 'llama3.2',
        baseUrl: 'http://127.0.0.1:11434/v1',
        limits: { requestsPerMinute: 60, tokensPerMinute: 40_000, maxConcurrent: 2 },
        hasKey: false,
      },
    ])

    // Editing: the key field is a password field that starts empty; headless mode keeps no keys and says so.
    await settings.profile('ollama').locator('button[data-edit]').click()
    const apiKey = settings.form().locator('[name="apiKey"]')
    expect(await apiKey.getAttribute('type')).toBe('password')
    expect(await apiKey.inputValue()).toBe('')
    expect(await settings.form().locator('[name="name"]').isDisabled()).toBe(true)
    await settings.fill({ apiKey: 'sk-test-not-a-real-key', maxConcurrent: '3' })
    await settings.save()
    await settings.formProblem().waitFor()
    expect(await settings.formProblem().textContent()).toBe(
      'Not saved: this GenOps keeps no API keys (the desktop app keeps them in the OS keychain): give it a team key (the teamKeyFile setting), or give the profile a key file, or set OPENAI_API_KEY or ANTHROPIC_API_KEY',
    )
    // Nothing was saved, the key least of all.
    expect((await served.call('listProviders', {})).profiles[0]).toMatchObject({ limits: { maxConcurrent: 2 }, hasKey: false })
    await settings.fill({ apiKey: '' })
    await settings.save()
    await settings.form().waitFor({ state: 'detached' })
    await settings.profile('ollama').locator('[data-limits]', { hasText: '3 at once' }).waitFor()
    expect(await page.locator('input[type="password"]').count()).toBe(0)

    // Fallbacks: a profile that does not exist is refused by name before anything goes; an existing one is kept, and kept on the next edit.
    await served.call('saveProvider', { name: 'backup', provider: 'sim' })
    await settings.open(served.url)
    await settings.profile('backup').waitFor()
    await settings.profile('ollama').locator('button[data-edit]').click()
    await settings.fill({ fallbacks: 'nowhere' })
    await settings.save()
    expect(await settings.formProblem().textContent()).toBe('Fallbacks: profile "ollama": fallback "nowhere" names no profile (add "nowhere" first)')
    await settings.fill({ fallbacks: 'backup' })
    await settings.save()
    await settings.form().waitFor({ state: 'detached' })
    await settings.profile('ollama').locator('button[data-edit]').click()
    expect(await settings.form().locator('[name="fallbacks"]').inputValue()).toBe('backup')
    await settings.fill({ maxConcurrent: '4' })
    await settings.save()
    await settings.form().waitFor({ state: 'detached' })
    expect((await served.call('listProviders', {})).profiles.find((p) => p.name === 'ollama')).toMatchObject({
      fallbacks: ['backup'],
      limits: { maxConcurrent: 4 },
    })
    // The one refusal above, as the browser logs any answer of 400; nothing else.
    expect(session.problems).toEqual(['console error: Failed to load resource: the server responded with a status of 400 (Bad Request)'])
  })

  test('pauses a provider, holds a breaker open and resets it, and shows health and shortcuts', async () => {
    const { page, served } = session
    const settings = new SettingsPage(page)
    // A job run makes the simulator's breaker.
    await served.call('enqueueJobs', { jobs: [{ prompt: 'Say hello.' }] })
    await settings.open(served.url)
    await settings.breaker('closed').waitFor()

    await page.locator('button[data-pause="sim"]').click()
    await page.locator('[data-provider="sim"] [data-paused-provider]').waitFor()
    expect((await served.call('listProviderPauses', {})).pauses.map((p) => p.provider)).toEqual(['sim'])
    await page.locator('button[data-resume="sim"]').click()
    await page.locator('button[data-pause="sim"]').waitFor()
    expect((await served.call('listProviderPauses', {})).pauses).toEqual([])

    await settings.breaker('closed').getByRole('button', { name: 'Hold open' }).click()
    await settings.breaker('isolated').waitFor()
    await settings.breaker('isolated').getByRole('button', { name: 'Reset' }).click()
    await settings.breaker('closed').waitFor()

    await page.locator('[data-health-state="ready"]').waitFor()
    await page.locator('[data-check="database"][data-check-status="pass"]').waitFor()
    // The Workers panel: the serving engine, running, the one answering, with the jobs it holds (the simulator's job
    // may still be running: the count is the store's at the panel's last read, counted exactly in test/queue/workers).
    const [worker] = (await served.call('listWorkers', {})).workers
    const row = page.locator(`[data-worker="${worker!.pid}"][data-worker-state="running"][data-worker-self]`)
    await row.waitFor()
    expect(await row.locator('[data-worker-claims]').textContent()).toMatch(/^\d+$/)
    expect(await row.locator('td').first().textContent()).toBe(`${worker!.host}:${worker!.pid} (this engine)`)
    // The engine's settings as it runs with them: the flag's exporter port, the store's default retention.
    await page.locator('[data-engine-settings-state="ready"]').waitFor()
    const port = page.locator('[data-setting="metrics.exporter.port"]')
    expect(await port.locator('td').nth(1).textContent()).toBe('0')
    expect(await port.locator('td').nth(3).textContent()).toBe('at next start')
    const retention = page.locator('[data-setting="retention.dead.maxAgeMs"][data-setting-source="default"]')
    expect(await retention.locator('td').nth(1).textContent()).toBe('90 d')
    expect(await retention.locator('td').nth(3).textContent()).toBe('within 5s')
    const shortcuts = page.locator('[data-shortcuts]')
    expect(await shortcuts.locator('.fact').count()).toBe(Number(await shortcuts.getAttribute('data-shortcuts')))
    await shortcuts.locator('.fact', { hasText: 'pause or resume the queue' }).locator('kbd', { hasText: 'p' }).waitFor()
    await saveScreenshots(page, 'settings')
    expect(session.problems).toEqual([])
  })

  test("shows the response cache's size and what it saved, and clears it only once asked twice", async () => {
    const { page, served } = session
    const settings = new SettingsPage(page)
    // One answer kept, then the same request answered from it.
    for (let run = 0; run < 2; run++) {
      await served.call('enqueueJobs', { jobs: [{ prompt: 'Say hello.' }] })
      await expect.poll(async () => (await served.call('queueStats', {})).counts.completed, { timeout: 30_000 }).toBe(run + 1)
    }
    const stats = await served.call('cacheStats', {})
    expect(stats).toMatchObject({ entries: 1, hits: 1 })

    await settings.open(served.url)
    const panel = page.locator('[data-cache-state="ready"][data-cache-entries="1"]')
    await panel.waitFor()
    expect(await panel.getAttribute('data-cache-bytes')).toBe(String(stats.bytes))
    expect(await panel.locator('[data-cache-kept]').textContent()).toMatch(/^1 answer, \d+ B/)
    expect(await panel.locator('[data-cache-saved]').textContent()).toBe('$0.00 over 1 attempt answered from the cache')

    await panel.locator('button[data-clear-cache]').click()
    await page.locator('[data-cache-state="confirming"]').waitFor()
    // Asked, not done: the answer is still kept.
    expect((await served.call('cacheStats', {})).entries).toBe(1)
    await page.locator('button[data-confirm-clear-cache]').click()
    await page.locator('[data-cache-state="ready"][data-cache-entries="0"] [data-cache-cleared]').waitFor()
    expect(await page.locator('[data-cache-cleared]').textContent()).toBe(`Removed 1 cached answer (${stats.bytes} B).`)
    expect(await served.call('cacheStats', {})).toMatchObject({ entries: 0, bytes: 0, hits: 1 })
    expect(await page.locator('button[data-clear-cache]').isDisabled()).toBe(true)
    expect(session.problems).toEqual([])
  })
})
