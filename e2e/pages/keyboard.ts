/**
 * Driving the page as someone without a mouse does: Tab and Shift+Tab until the focus is
 * where they want it, then keys. Every wait is on where the focus is, never on a timer.
 */
import type { FileChooser, Page } from 'playwright-core'

/** The focused element in words, for a failure message: tag, classes, data attributes, text. */
export function describeFocus(page: Page): Promise<string> {
  return page.evaluate(`(() => {
    const el = document.activeElement
    if (!el || el === document.body) return 'nothing (the page)'
    const data = Array.from(el.attributes).filter((a) => a.name.startsWith('data-') || a.name === 'role').map((a) => a.name + '=' + a.value).join(' ')
    return el.tagName.toLowerCase() + '.' + String(el.className).split(' ').join('.') + ' [' + data + '] "' + (el.textContent || '').trim().slice(0, 40) + '"'
  })()`) as Promise<string>
}

export function hasFocus(page: Page, selector: string): Promise<boolean> {
  return page.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`) as Promise<boolean>
}

/** Waits (on animation frames, which a render follows) until the focus is on `selector`. */
export async function focusIsOn(page: Page, selector: string): Promise<void> {
  await page.waitForFunction(`document.activeElement?.matches(${JSON.stringify(selector)})`, undefined, { polling: 'raf' }).catch(async () => {
    throw new Error(`the focus should be on ${selector}, and is on ${await describeFocus(page)}`)
  })
}

/** Presses Tab (Shift+Tab with `back`) until the focus is on `selector`; fails after `max` presses, saying where it went. */
export async function tabTo(page: Page, selector: string, { back = false, max = 60 } = {}): Promise<void> {
  const visited: string[] = []
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab')
    if (await hasFocus(page, selector)) return
    visited.push(await describeFocus(page))
  }
  throw new Error(`${max} presses of ${back ? 'Shift+Tab' : 'Tab'} never reached ${selector}; they went to:\n${visited.join('\n')}`)
}

/** Whether the focused element is drawn on the screen (in the viewport, not hidden): focus a user cannot see is no focus. */
export function focusIsVisible(page: Page): Promise<boolean> {
  return page.evaluate(`(() => {
    const el = document.activeElement
    if (!el || el === document.body) return false
    const box = el.getBoundingClientRect()
    return box.width > 0 && box.height > 0 && box.bottom > 0 && box.right > 0 && box.top < innerHeight && box.left < innerWidth
  })()`) as Promise<boolean>
}

/** Pages whose file choosers Playwright intercepts for good (see openPickerWithEnter). */
const intercepting = new WeakSet<Page>()

/**
 * Presses Enter on the focused control that opens the system's file picker, and answers the
 * chooser. A key press that lands while the top bar re-renders (an alert just fired) can be
 * lost, as it can for a user, who presses again: so once more, after checking the focus is
 * still there; a picker that never opens fails with where the focus was.
 */
export async function openPickerWithEnter(page: Page, selector: string): Promise<FileChooser> {
  // Playwright turns Chromium's file-chooser interception on when a listener is first added, without waiting for it:
  // a press that wins that race opens a native picker no event reports, and the next is ignored while it is "open".
  // A listener kept for the page, then a round trip after it, so interception is on before any press.
  if (!intercepting.has(page)) {
    intercepting.add(page)
    page.on('filechooser', () => undefined)
  }
  await page.evaluate('0')
  for (let press = 0; press < 2; press++) {
    await focusIsOn(page, selector)
    const chooser = page.waitForEvent('filechooser', { timeout: 5_000 }).catch(() => null)
    await page.keyboard.press('Enter')
    const opened = await chooser
    if (opened) return opened
  }
  throw new Error(`Enter on ${selector} opened no file picker (twice); the focus is on ${await describeFocus(page)}`)
}
