/**
 * The window's locks, as data: the BrowserWindow webPreferences every GenOps window gets.
 * Pure (no electron) so test/shell/security.test.ts asserts them in Node; the shell passes
 * them to BrowserWindow as they are. The page's CSP is src/shared/csp.ts.
 */
import { join } from 'node:path'

/** The sandboxed preload: electron-vite bundles it as one CommonJS file beside out/main. */
export const preloadFileFor = (outMainDir: string): string => join(outMainDir, '../preload/index.cjs')

/**
 * The renderer is a web page with no Node: isolated from the preload's world, sandboxed,
 * same-origin rules on, no http content in the https/file page, no <webview>.
 */
export function windowWebPreferences(outMainDir: string) {
  return {
    preload: preloadFileFor(outMainDir),
    contextIsolation: true,
    sandbox: true,
    nodeIntegration: false,
    nodeIntegrationInWorker: false,
    nodeIntegrationInSubFrames: false,
    webSecurity: true,
    allowRunningInsecureContent: false,
    webviewTag: false,
    // Spelling suggestions would send typed prompts to a dictionary service on some platforms.
    spellcheck: false,
  } as const
}
