/**
 * What every HTTP face of the engine checks before it answers (the API server and the
 * metrics exporter): that the Host header names us, so a web page cannot reach a loopback
 * server through DNS rebinding, and that a bearer token matches, in constant time.
 */
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'

export const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])
export const isLoopback = (host: string): boolean => LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)

/** The host name of a Host header, lower case, without the port; null when absent or malformed. */
export function hostOf(header: string | undefined): string | null {
  if (!header) return null
  try {
    return new URL(`http://${header}`).hostname.toLowerCase()
  } catch {
    return null
  }
}

/** The names a request to a server listening on `host` may give in its Host header. */
export const allowedHosts = (host: string): ReadonlySet<string> => new Set([...LOOPBACK_HOSTS, host.toLowerCase()])

/** True when the request carries `Authorization: Bearer <token>` with this token. */
export function bearerMatches(request: IncomingMessage, token: Buffer): boolean {
  const header = request.headers.authorization ?? ''
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '')
  return given.length === token.length && timingSafeEqual(given, token)
}
