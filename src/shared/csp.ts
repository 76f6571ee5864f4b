/**
 * The renderer's Content Security Policy, written once. The desktop window gets it from
 * the meta tag in src/renderer/index.html (a file:// page has no response headers to carry
 * it); headless mode also sends it as a header (src/main/api/server.ts). A test
 * (test/shell/security.test.ts) holds the meta tag, the built page and the header to this.
 */

/** Only our own files: no inline or eval'd script, no plugins, no foreign origins, no form posts, no <base> tricks. */
export const RENDERER_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
].join('; ')

/** Headers can say what a meta tag cannot: no page may frame ours (frame-ancestors is ignored in a meta tag). */
export const HEADLESS_CSP = `${RENDERER_CSP}; frame-ancestors 'none'`
