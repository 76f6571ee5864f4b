/** The loopback API's locks: the token, and the Host check against DNS rebinding. */
import { request } from 'node:http'
import type { Browser } from 'playwright-core'
import { afterAll, beforeAll, describe, expect, inject, test } from 'vitest'
import { launchChromium } from './fixtures/browser'
import { startServe, type Served } from './fixtures/serve'
import { JobsPage } from './pages/jobs-page'

const chromiumPath = inject('chromiumPath')

/** node:http, because fetch will not send a Host header of our choosing. */
function post(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const call = request(url, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers } }, (response) => {
      let body = ''
      response.setEncoding('utf8').on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, body }))
    })
    call.on('error', reject)
    call.end('{}')
  })
}

describe('API access', () => {
  let served: Served
  beforeAll(async () => {
    served = await startServe()
  })
  afterAll(async () => {
    await served?.stop()
  })

  test('answers with the token', async () => {
    const { status } = await post(`${served.origin}/api/queueStats`, { Authorization: `Bearer ${served.token}` })
    expect(status).toBe(200)
  })

  test.each<[string, () => Record<string, string>]>([
    ['no token', () => ({})],
    ['a wrong token', () => ({ Authorization: 'Bearer not-the-token-at-all-000000' })],
    ['the token without "Bearer"', () => ({ Authorization: served.token })],
  ])('refuses %s with 401', async (_what, headers) => {
    const { status, body } = await post(`${served.origin}/api/queueStats`, headers())
    expect(status).toBe(401)
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'UNAUTHORIZED' } })
  })

  test('refuses the event stream without the token', async () => {
    const response = await fetch(`${served.origin}/api/events`)
    expect(response.status).toBe(401)
  })

  test('refuses a foreign Host header even with the token (DNS rebinding)', async () => {
    const { status, body } = await post(`${served.origin}/api/queueStats`, { Host: 'evil.example', Authorization: `Bearer ${served.token}` })
    expect(status).toBe(403)
    expect(JSON.parse(body)).toMatchObject({ error: { code: 'UNAUTHORIZED' } })
  })

  describe.skipIf(!chromiumPath && process.env.CI !== 'true')('in the browser', () => {
    let browser: Browser
    beforeAll(async () => {
      browser = await launchChromium(chromiumPath!)
    })
    afterAll(async () => {
      await browser?.close()
    })

    test('the token leaves the address bar and lasts for the tab', async () => {
      const context = await browser.newContext()
      try {
        const jobs = new JobsPage(await context.newPage())
        await jobs.open(served.url)
        expect(jobs.page.url()).toBe(`${served.origin}/`)
        await jobs.page.reload()
        await jobs.app('ready').waitFor()
      } finally {
        await context.close()
      }
    })

    test('a page opened without the token says how to get in', async () => {
      const context = await browser.newContext()
      try {
        const jobs = new JobsPage(await context.newPage())
        await jobs.page.goto(`${served.origin}/`)
        await jobs.app('error').waitFor()
        expect(await jobs.page.getByRole('alert').textContent()).toContain('genops serve printed')
      } finally {
        await context.close()
      }
    })
  })
})
