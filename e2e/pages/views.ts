/**
 * Every place the accessibility spec visits: each screen the app's own navigation lists
 * (so a screen added later is checked the day it lands), the job detail, and each dialog.
 * A view opens itself, says where axe should look (a dialog, or the whole page), and closes.
 */
import type { Page } from 'playwright-core'
import { FIRING_RULE } from '../fixtures/busy-queue'

export interface View {
  name: string
  open(): Promise<void>
  /** A selector axe is limited to (a dialog), or the whole page. */
  scope?: string
  close?(): Promise<void>
}

/** The screens as the top bar's navigation names them, in its order. */
export async function navScreens(page: Page): Promise<string[]> {
  const names = await page.locator('nav [data-screen-link]').evaluateAll((links) => links.map((link) => link.getAttribute('data-screen-link') ?? ''))
  if (names.length === 0) throw new Error('the navigation lists no screens')
  return names
}

/** Goes to a screen by its link, as an operator does, and waits for it to say it is ready. */
export async function goToScreen(page: Page, screen: string): Promise<void> {
  await page.locator(`nav [data-screen-link="${screen}"]`).click()
  await page.locator(`[data-screen="${screen}"] [data-screen-state="ready"]`).waitFor()
}

async function escape(page: Page, dialog: string): Promise<void> {
  await page.keyboard.press('Escape')
  await page.locator(dialog).waitFor({ state: 'detached' })
}

export interface DialogInputs {
  deadJobId: number
  /** A prompt file to choose in the drop dialog. */
  promptFile: string
}

/** The job detail and every dialog, each opened the way an operator opens it. */
export function detailAndDialogs(page: Page, { deadJobId, promptFile }: DialogInputs): View[] {
  return [
    {
      name: 'job detail',
      open: async () => {
        await goToScreen(page, 'jobs')
        await page.evaluate(`location.hash = '#/jobs/${deadJobId}'`)
        await page.locator(`[data-detail-state="ready"][data-detail-job="${deadJobId}"] [data-waterfall]`).waitFor()
      },
      close: async () => {
        await page.keyboard.press('Escape')
        await page.locator('[data-detail-job]').waitFor({ state: 'detached' })
      },
    },
    {
      name: 'bulk dialog',
      scope: '.bulk-dialog',
      open: async () => {
        await goToScreen(page, 'jobs')
        await page.locator('[data-job-id] [data-select]').first().click()
        await page.locator('button[data-bulk="cancel"]').click()
        await page.locator('[data-bulk-state="confirm"]').waitFor()
      },
      close: async () => {
        await escape(page, '[data-bulk-state]')
        await page.locator('.selection-bar button', { hasText: 'Clear selection' }).click()
      },
    },
    {
      name: 'drop dialog',
      scope: '.intake-dialog',
      open: async () => {
        await page.locator('input[data-intake-input]').setInputFiles(promptFile)
        await page.locator('[data-intake-state="preview"]').waitFor({ state: 'attached' })
      },
      close: () => escape(page, '.intake-dialog'),
    },
    {
      name: 'rule editor',
      scope: 'form[data-rule-form]',
      open: async () => {
        await goToScreen(page, 'alerts')
        await page.locator(`[data-rule="${FIRING_RULE}"] a[data-edit-rule]`).click()
        await page.locator(`form[data-rule-form="${FIRING_RULE}"]`).waitFor()
      },
      close: () => escape(page, 'form[data-rule-form]'),
    },
    {
      name: 'new rule form',
      scope: 'form[data-rule-form]',
      open: async () => {
        await goToScreen(page, 'alerts')
        await page.locator('button[data-new-rule]').click()
        await page.locator('form[data-rule-form]').waitFor()
      },
      close: () => escape(page, 'form[data-rule-form]'),
    },
    {
      name: 'remove-profile confirmation',
      scope: '[data-confirm="remove-profile"]',
      open: async () => {
        await goToScreen(page, 'settings')
        await page.locator('[data-profile="local-work"] button', { hasText: 'Remove' }).click()
        await page.locator('[data-confirm="remove-profile"]').waitFor()
      },
      close: () => escape(page, '[data-confirm="remove-profile"]'),
    },
    {
      name: 'profile editor',
      scope: 'form[data-profile-form]',
      open: async () => {
        await goToScreen(page, 'settings')
        await page.locator('button[data-new-profile]').click()
        await page.locator('form[data-profile-form]').waitFor()
      },
      close: () => escape(page, 'form[data-profile-form]'),
    },
    {
      name: 'purge dialog',
      scope: '[data-confirm="purge"]',
      open: async () => {
        await goToScreen(page, 'failures')
        await page.locator('button[data-purge-matching]').click()
        await page.locator('[data-confirm="purge"]').waitFor()
      },
      close: () => escape(page, '[data-confirm="purge"]'),
    },
  ]
}
