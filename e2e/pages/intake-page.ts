/**
 * Drag-in as a spec drives it: files dropped on the window (a real `drop` event carrying a
 * DataTransfer built in the page from the files' bytes) or chosen with the hidden file
 * input; every wait is on `data-intake-state` and the attributes the dialog announces.
 */
import { readFileSync } from 'node:fs'
import { basename } from 'node:path'
import type { JSHandle, Locator, Page } from 'playwright-core'
import { STATE_TIMEOUT_MS } from '../fixtures/browser'

export type IntakeState = 'idle' | 'dragging' | 'reading' | 'preview' | 'committing' | 'done' | 'error'

export class IntakePage {
  constructor(readonly page: Page) {
    page.setDefaultTimeout(STATE_TIMEOUT_MS)
  }

  state(state: IntakeState): Locator {
    return this.page.locator(`[data-intake-state="${state}"]`)
  }

  /** Waits for the intake to announce `state` (its element has no box of its own: attached, not visible). */
  async until(state: IntakeState): Promise<void> {
    await this.state(state).waitFor({ state: 'attached' })
  }

  /** A DataTransfer holding these files, made in the page as the browser makes one for a drag from the desktop. */
  async dataTransfer(paths: readonly string[]): Promise<JSHandle<unknown>> {
    const files = paths.map((path) => ({ name: basename(path), base64: readFileSync(path).toString('base64') }))
    return this.page.evaluateHandle((files) => {
      // The page's own classes (this file is type-checked for Node, which has no DataTransfer).
      const page = globalThis as unknown as {
        DataTransfer: new () => { items: { add(file: unknown): void } }
        File: new (parts: Uint8Array[], name: string) => unknown
      }
      const transfer = new page.DataTransfer()
      for (const { name, base64 } of files) transfer.items.add(new page.File([Uint8Array.from(atob(base64), (c) => c.charCodeAt(0))], name))
      return transfer
    }, files)
  }

  /** Files held over the window: the overlay shows. */
  async dragOver(dataTransfer: JSHandle<unknown>): Promise<void> {
    await this.page.dispatchEvent('body', 'dragenter', { dataTransfer })
    await this.page.dispatchEvent('body', 'dragover', { dataTransfer })
    await this.until('dragging')
  }

  /** Released: the files are read and checked, and the summary shows. */
  async drop(dataTransfer: JSHandle<unknown>): Promise<void> {
    await this.page.dispatchEvent('body', 'drop', { dataTransfer })
  }

  async choose(paths: readonly string[]): Promise<void> {
    await this.page.locator('input[data-intake-input]').setInputFiles([...paths])
  }

  file(name: string, ok?: boolean): Locator {
    return this.page.locator(ok === undefined ? `[data-intake-file="${name}"]` : `[data-intake-file="${name}"][data-file-ok="${ok}"]`)
  }

  async errorsOf(name: string): Promise<string[]> {
    return this.file(name).locator('[data-intake-error]').allTextContents()
  }

  async totalJobs(): Promise<number> {
    return Number(await this.page.locator('[data-total-jobs]').getAttribute('data-total-jobs'))
  }

  field(name: string): Locator {
    return this.page.locator(`.intake-dialog [name="${name}"]`)
  }

  enqueue(): Locator {
    return this.page.locator('button[data-intake-enqueue]')
  }

  cancel(): Locator {
    return this.page.locator('.intake-dialog').getByRole('button', { name: 'Cancel', exact: true })
  }

  /** Waits for the estimate of the choices on screen (`data-estimate-state`). */
  async estimateReady(): Promise<Locator> {
    const estimate = this.page.locator('.intake-estimate[data-estimate-state="ready"]')
    await estimate.waitFor()
    return estimate
  }

  /** A figure of the estimate by its attribute (input, output, realtime, batch, cached, time): the value the attribute carries. */
  figure(name: 'input' | 'output' | 'realtime' | 'batch' | 'cached' | 'time'): Locator {
    return this.page.locator(`.intake-estimate [data-estimate-${name}]`)
  }

  lane(lane: 'realtime' | 'batch'): Locator {
    return this.page.locator(`.intake-dialog input[name="lane"][value="${lane}"]`)
  }

  /** The progress bar of a big drop's load into the queue. */
  loadBar(): Locator {
    return this.page.getByRole('progressbar', { name: 'Loading the jobs into the queue' })
  }

  async batchId(): Promise<number> {
    return Number(await this.page.locator('[data-batch-id]').getAttribute('data-batch-id'))
  }
}
