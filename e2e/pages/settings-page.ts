/** The settings screen as a spec sees it: profiles, the profile form, pauses, breakers and health, by the attributes they announce. */
import type { Locator, Page } from 'playwright-core'
import { STATE_TIMEOUT_MS } from '../fixtures/browser'
import { openScreen } from './screens'

export interface ProfileFields {
  name?: string
  provider?: 'sim' | 'local' | 'openai' | 'anthropic'
  model?: string
  baseUrl?: string
  keyFile?: string
  apiKey?: string
  requestsPerMinute?: string
  tokensPerMinute?: string
  maxConcurrent?: string
  fallbacks?: string
}

export class SettingsPage {
  constructor(readonly page: Page) {
    page.setDefaultTimeout(STATE_TIMEOUT_MS)
  }

  open(url: string): Promise<void> {
    return openScreen(this.page, url, 'settings')
  }

  profile(name: string): Locator {
    return this.page.locator(`[data-profile="${name}"]`)
  }

  form(): Locator {
    return this.page.locator('form[data-profile-form]')
  }

  async fill(fields: ProfileFields): Promise<void> {
    const form = this.form()
    if (fields.provider) await form.locator('[name="provider"]').selectOption(fields.provider)
    for (const [name, value] of Object.entries(fields)) {
      if (name === 'provider' || value === undefined) continue
      await form.locator(`[name="${name}"]`).fill(value)
    }
  }

  async save(): Promise<void> {
    await this.form().locator('button[data-save-profile]').click()
  }

  formProblem(): Locator {
    return this.form().locator('[data-form-problem]')
  }

  notice(tone: 'info' | 'error'): Locator {
    return this.page.locator(`[data-settings-notice="${tone}"]`)
  }

  breaker(state?: string): Locator {
    return this.page.locator(state ? `[data-breaker][data-breaker-state="${state}"]` : '[data-breaker]')
  }
}
