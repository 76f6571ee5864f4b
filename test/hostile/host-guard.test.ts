/**
 * Which Host headers the API and the exporter answer (DNS rebinding), decided in plain Node:
 * the machine's interfaces are given as os.networkInterfaces() would list them. The same
 * rules on a real network are network.test.ts's.
 */
import type { NetworkInterfaceInfo } from 'node:os'
import { describe, expect, it } from 'vitest'
import { healthOpenWithoutToken } from '../../src/main/api/health-endpoints'
import { allowedHostName, hostGuard } from '../../src/main/api/http-guards'

const info = (address: string, family: 'IPv4' | 'IPv6', internal = false): NetworkInterfaceInfo =>
  ({ address, family, internal, netmask: '', mac: '00:00:00:00:00:00', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) }) as NetworkInterfaceInfo

/** A machine with loopback, a LAN address in IPv4 and IPv6, and a link-local address. */
let interfaces: NodeJS.Dict<NetworkInterfaceInfo[]> = {}
const machine = () => {
  interfaces = {
    lo: [info('127.0.0.1', 'IPv4', true), info('::1', 'IPv6', true)],
    eth0: [info('192.0.2.10', 'IPv4'), info('2001:db8::10', 'IPv6'), info('fe80::1', 'IPv6')],
  }
  return () => interfaces
}

describe('the Host guard', () => {
  it('on loopback answers the loopback names and the listening address only, as before', () => {
    const guard = hostGuard({ host: '127.0.0.1', interfaces: machine() })
    for (const host of ['127.0.0.1:9465', 'localhost:9465', 'LOCALHOST', '[::1]:9465']) expect(guard.allows(host), host).toBe(true)
    for (const host of ['192.0.2.10:9465', 'evil.example', 'evil.example:9465', '127.0.0.1.evil.example', undefined, '', 'bad host']) {
      expect(guard.allows(host), String(host)).toBe(false)
    }
    expect(guard.advice).toBe('use 127.0.0.1')
  })

  it('on a wildcard address answers any address of the machine, IPv6 in brackets, and refuses other names', () => {
    for (const host of ['0.0.0.0', '::']) {
      const guard = hostGuard({ host, interfaces: machine() })
      for (const allowed of ['192.0.2.10:9465', '192.0.2.10', '[2001:db8::10]:9465', '[2001:DB8:0::10]', '[fe80::1]', 'localhost:9465', '127.0.0.1']) {
        expect(guard.allows(allowed), `${host} ${allowed}`).toBe(true)
      }
      for (const refused of ['evil.example', 'evil.example:9465', '192.0.2.11', '0.0.0.0', '2001:db8::10', '[::]', undefined]) {
        expect(guard.allows(refused), `${host} ${refused}`).toBe(false)
      }
      expect(guard.advice).toBe("use this machine's address or a host name allowed with --allowed-host")
    }
  })

  it('on a specific LAN address answers it, the machine’s other addresses and the loopback names', () => {
    const guard = hostGuard({ host: '192.0.2.10', interfaces: machine() })
    expect(guard.allows('192.0.2.10:9465')).toBe(true)
    expect(guard.allows('[2001:db8::10]')).toBe(true)
    expect(guard.allows('localhost')).toBe(true)
    expect(guard.allows('evil.example')).toBe(false)
    expect(guard.advice).toBe("use 192.0.2.10, this machine's address or a host name allowed with --allowed-host")
  })

  it('answers the names the operator allowed, and nothing that merely contains them', () => {
    const guard = hostGuard({ host: '0.0.0.0', allowedHosts: ['genops.lan'], interfaces: machine() })
    expect(guard.allows('genops.lan:9465')).toBe(true)
    expect(guard.allows('GENOPS.LAN')).toBe(true)
    expect(guard.allows('genops.lan.evil.example')).toBe(false)
    expect(guard.allows('evil.genops.lan')).toBe(false)
    // On loopback too: a reverse proxy on this machine forwards its own name.
    expect(hostGuard({ host: '127.0.0.1', allowedHosts: ['genops.lan'] }).allows('genops.lan')).toBe(true)
  })

  it('reads the interfaces again when a name is not among them: an address that came up later is ours', () => {
    const guard = hostGuard({ host: '0.0.0.0', interfaces: machine() })
    expect(guard.allows('198.51.100.7')).toBe(false)
    interfaces = { ...interfaces, wg0: [info('198.51.100.7', 'IPv4')] }
    expect(guard.allows('198.51.100.7')).toBe(true)
    interfaces = { lo: interfaces.lo }
    expect(guard.allows('203.0.113.9')).toBe(false)
    expect(guard.allows('198.51.100.7')).toBe(false)
  })
})

describe('--allowed-host names', () => {
  it('are taken as a Host header gives them', () => {
    expect(allowedHostName('GenOps.LAN')).toBe('genops.lan')
    expect(allowedHostName('192.0.2.10')).toBe('192.0.2.10')
    expect(allowedHostName('2001:DB8::10')).toBe('[2001:db8::10]')
    expect(allowedHostName('[2001:db8::10]')).toBe('[2001:db8::10]')
  })

  it('are refused, with the reason, when they are not a host name alone', () => {
    expect(() => allowedHostName('*.example.com')).toThrow('"*.example.com" is not a host name: wildcards are not taken, name each host')
    expect(() => allowedHostName('http://genops.lan')).toThrow('"http://genops.lan" is not a host name: give the name alone, without a scheme, path or user')
    expect(() => allowedHostName('genops.lan:9465')).toThrow('"genops.lan:9465" is not a host name: give the name without a port')
    expect(() => allowedHostName('0.0.0.0')).toThrow('"0.0.0.0" is not a host name: a wildcard address names no host')
    expect(() => allowedHostName('genops lan')).toThrow('without a scheme, path or user')
    expect(() => allowedHostName('[genops')).toThrow('"[genops" is not a host name: it is malformed')
  })
})

describe('health endpoints without the token', () => {
  it('all answer on loopback; beyond it only liveness does', () => {
    for (const path of ['/health', '/health/live', '/health/ready']) expect(healthOpenWithoutToken(path, true)).toBe(true)
    expect(healthOpenWithoutToken('/health/live', false)).toBe(true)
    expect(healthOpenWithoutToken('/health', false)).toBe(false)
    expect(healthOpenWithoutToken('/health/ready', false)).toBe(false)
    expect(healthOpenWithoutToken('/health/anything', false)).toBe(false)
  })
})
