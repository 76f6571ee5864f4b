/**
 * The desktop window's locks and the renderer's Content Security Policy, held to their one
 * source (src/main/shell/security.ts, src/shared/csp.ts): the window's webPreferences, the
 * meta tag in the page as written and as built, and the header headless mode sends.
 */
import { existsSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import { HEADLESS_CSP, RENDERER_CSP } from '../../src/shared/csp'
import { startServer } from '../../src/main/api/server'
import { createEngine } from '../../src/main/engine'
import { preloadFileFor, windowWebPreferences } from '../../src/main/shell/security'
import viteConfig from '../../electron.vite.config'
import { tempDir } from '../support/temp'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const OUT_MAIN = join(ROOT, 'out/main')

/** The policy a page's meta tag carries; fails the test when there is not exactly one. */
function metaPolicy(html: string): string {
  const tags = [...html.matchAll(/<meta\s[^>]*http-equiv="Content-Security-Policy"[^>]*>/gi)]
  expect(tags, 'one CSP meta tag').toHaveLength(1)
  const content = /content="([^"]*)"/i.exec(tags[0]![0])
  expect(content, 'the CSP meta tag has a content attribute').not.toBeNull()
  return content![1]!
}

/** `default-src 'self'; ...` as directive → sources. */
function directives(policy: string): Map<string, string[]> {
  const parsed = new Map<string, string[]>()
  for (const part of policy.split(';')) {
    const [name, ...sources] = part.trim().split(/\s+/)
    if (!name) continue
    expect(parsed.has(name), `${name} appears once`).toBe(false)
    parsed.set(name.toLowerCase(), sources)
  }
  return parsed
}

describe('the window', () => {
  const preferences = windowWebPreferences(OUT_MAIN)

  it('is isolated, sandboxed and without Node', () => {
    expect(preferences).toMatchObject({
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
    })
    // Nothing that loosens the locks has crept in.
    for (const loosening of ['enableRemoteModule', 'experimentalFeatures', 'enableBlinkFeatures', 'additionalArguments']) {
      expect(preferences).not.toHaveProperty(loosening)
    }
  })

  it('loads the built CommonJS preload that electron-vite writes', () => {
    expect(preferences.preload).toBe(join(ROOT, 'out/preload/index.cjs'))
    expect(preloadFileFor(OUT_MAIN)).toBe(preferences.preload)
    const preload = viteConfig.preload as { build: { rollupOptions: { output: { format: string; entryFileNames: string } } } }
    expect(preload.build.rollupOptions.output).toMatchObject({ format: 'cjs', entryFileNames: '[name].cjs' })
    if (existsSync(join(ROOT, 'out/main/index.js'))) expect(existsSync(preferences.preload)).toBe(true)
  })

  it('is made with these preferences and nothing else', () => {
    const source = readFileSync(join(ROOT, 'src/main/shell/window.ts'), 'utf8')
    expect(source).toContain('webPreferences: windowWebPreferences(')
    expect(source.match(/webPreferences/g)).toHaveLength(1)
  })
})

describe('the Content Security Policy', () => {
  it('is strict', () => {
    const policy = directives(RENDERER_CSP)
    expect(policy.get('default-src')).toEqual(["'self'"])
    expect(policy.get('script-src')).toEqual(["'self'"])
    expect(policy.get('object-src')).toEqual(["'none'"])
    expect(policy.get('base-uri')).toEqual(["'none'"])
    expect(policy.get('form-action')).toEqual(["'none'"])
    for (const [name, sources] of policy) {
      for (const loose of ["'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "'wasm-unsafe-eval'", '*', 'http:', 'https:', 'ws:', 'blob:']) {
        expect(sources, `${name} allows ${loose}`).not.toContain(loose)
      }
      if (name !== 'img-src') expect(sources, `${name} allows data:`).not.toContain('data:')
    }
    // A meta tag cannot carry frame-ancestors; the header adds it.
    expect(policy.has('frame-ancestors')).toBe(false)
    expect(directives(HEADLESS_CSP).get('frame-ancestors')).toEqual(["'none'"])
    expect(HEADLESS_CSP.startsWith(RENDERER_CSP)).toBe(true)
  })

  it('is what the page says, as written and as built', () => {
    expect(metaPolicy(readFileSync(join(ROOT, 'src/renderer/index.html'), 'utf8'))).toBe(RENDERER_CSP)
    const built = join(ROOT, 'out/renderer/index.html')
    if (existsSync(built)) expect(metaPolicy(readFileSync(built, 'utf8'))).toBe(RENDERER_CSP)
  })

  it('is the header headless mode sends', async () => {
    const dir = tempDir()
    const engine = await createEngine({ dataDir: dir, threads: 1, metrics: { enabled: false } })
    const server = await startServer({ engine, host: '127.0.0.1', port: 0, token: 'test-token-0123456789abcdef', rendererDir: join(dir, 'no-renderer') })
    try {
      const response = await fetch(`http://127.0.0.1:${server.port}/`)
      expect(response.headers.get('content-security-policy')).toBe(HEADLESS_CSP)
      expect(response.headers.get('x-frame-options')).toBe('DENY')
    } finally {
      await server.close()
      await engine.close(1000)
    }
  })
})
