/** Opening the app on one screen, and waiting for that screen to announce it has loaded. */
import type { Page } from 'playwright-core'

export type ScreenName = 'dashboard' | 'jobs' | 'batches' | 'failures' | 'alerts' | 'costs' | 'settings'

/** `url` is the one `genops serve` printed (it carries the token); the screen goes in the hash. */
export async function openScreen(page: Page, url: string, screen: ScreenName): Promise<void> {
  await page.goto(`${url}#/${screen}`)
  await page.locator('[data-app-state="ready"]').waitFor()
  await screenReady(page, screen)
}

export async function screenReady(page: Page, screen: ScreenName): Promise<void> {
  await page.locator(`[data-screen="${screen}"] [data-screen-state="ready"]`).waitFor()
}
