/**
 * What every HTTP face of the engine checks before it answers (the API server and the
 * metrics exporter): that the Host header names us, so a web page cannot reach the server
 * through DNS rebinding (its requests carry the attacker's host name), and that a bearer
 * token matches, in constant time.
 *
 * "Names us": on loopback, the loopback names and the listening address. Beyond loopback
 * (a LAN address, or 0.0.0.0 / ::), also every address of this machine's interfaces, as a
 * client that dials the machine by address sends it, and the host names the operator
 * allowed (--allowed-host): a DNS name or a reverse proxy's. Nothing else.
 */
import { timingSafeEqual } from 'node:crypto'
import type { IncomingMessage } from 'node:http'
import { networkInterfaces, type NetworkInterfaceInfo } from 'node:os'

export const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '::1', '[::1]'])
export const isLoopback = (host: string): boolean => LOOPBACK_HOSTS.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host)

/** The host name of a Host header, lower case, without the port, an IPv6 address in brackets; null when absent or malformed. */
export function hostOf(header: string | undefined): string | null {
  if (!header) return null
  try {
    return new URL(`http://${header}`).hostname.toLowerCase()
  } catch {
    return null
  }
}

/** An IPv6 address without its brackets: `2001:db8::10`, never `genops.lan:9465`. */
const bareIpv6 = (text: string): boolean => !text.startsWith('[') && text.indexOf(':') !== text.lastIndexOf(':')

/** An address as a Host header names it: `192.0.2.10`, `[2001:db8::10]` (IPv6 in brackets, shortened). */
const asHostName = (address: string): string | null => hostOf(bareIpv6(address) ? `[${address}]` : address)

const WILDCARDS = new Set(['0.0.0.0', '::', '[::]'])

/**
 * A name given with --allowed-host, as the guard compares it: `genops.lan`, `192.0.2.10`,
 * `[2001:db8::10]`. Throws with the reason for a URL, a port, a wildcard or a malformed name.
 */
export function allowedHostName(text: string): string {
  const refuse = (why: string): never => {
    throw new Error(`"${text}" is not a host name: ${why}`)
  }
  if (text.includes('*')) refuse('wildcards are not taken, name each host')
  if (/[/@\s]/.test(text)) refuse('give the name alone, without a scheme, path or user')
  let url: URL
  try {
    url = new URL(`http://${bareIpv6(text) ? `[${text}]` : text}`)
  } catch {
    return refuse('it is malformed')
  }
  if (url.port !== '') refuse('give the name without a port')
  if (WILDCARDS.has(url.hostname)) refuse('a wildcard address names no host')
  return url.hostname.toLowerCase()
}

export interface HostGuardOptions {
  /** The address the server listens on: 127.0.0.1, a LAN address, 0.0.0.0 or ::. */
  host: string
  /** Host names the operator allowed beyond the machine's addresses, as allowedHostName gives them. */
  allowedHosts?: readonly string[]
  /** This machine's interfaces; os.networkInterfaces unless a test gives its own. */
  interfaces?: () => NodeJS.Dict<NetworkInterfaceInfo[]>
}

export interface HostGuard {
  /** True when a request with this Host header may be answered. */
  allows(header: string | undefined): boolean
  /** What a refused request is told to use instead (never the machine's addresses: the refused client may be the attacker's page). */
  readonly advice: string
}

export function hostGuard(options: HostGuardOptions): HostGuard {
  const named = new Set((options.allowedHosts ?? []).map((name) => name.toLowerCase()))
  const listening = asHostName(options.host)
  if (listening !== null && !WILDCARDS.has(listening)) named.add(listening)
  const shownHost = bareIpv6(options.host) ? `[${options.host}]` : options.host

  if (isLoopback(options.host)) {
    const names = new Set([...LOOPBACK_HOSTS, ...named])
    return {
      allows: (header) => {
        const name = hostOf(header)
        return name !== null && names.has(name)
      },
      advice: `use ${shownHost}`,
    }
  }

  const read = options.interfaces ?? networkInterfaces
  let own = ownAddresses(read())
  return {
    allows(header) {
      const name = hostOf(header)
      if (name === null) return false
      if (isLoopback(name) || named.has(name) || own.has(name)) return true
      // An address that came up since the last look (DHCP, a VPN) is ours as well.
      own = ownAddresses(read())
      return own.has(name)
    },
    advice: `use ${listening !== null && !WILDCARDS.has(listening) ? `${shownHost}, ` : ''}this machine's address or a host name allowed with --allowed-host`,
  }
}

/** Every address of the machine's interfaces as a Host header names it (a link-local IPv6 one without its zone, as a URL cannot hold one). */
function ownAddresses(interfaces: NodeJS.Dict<NetworkInterfaceInfo[]>): Set<string> {
  const addresses = new Set<string>()
  for (const infos of Object.values(interfaces)) {
    for (const info of infos ?? []) {
      const name = asHostName(info.address)
      if (name !== null) addresses.add(name)
    }
  }
  return addresses
}

/** True when the request carries `Authorization: Bearer <token>` with this token. */
export function bearerMatches(request: IncomingMessage, token: Buffer): boolean {
  const header = request.headers.authorization ?? ''
  const given = Buffer.from(header.startsWith('Bearer ') ? header.slice(7) : '')
  return given.length === token.length && timingSafeEqual(given, token)
}
