/**
 * An owner on this host whose process no longer exists is gone (its jobs recovered at once),
 * but only when its pid was ours to see: engines in containers sharing a hostname have pid
 * namespaces of their own, and a live one's pid is missing from every other namespace.
 */
import { spawnSync } from 'node:child_process'
import { platform } from 'node:os'
import { describe, expect, it } from 'vitest'
import { newLeaseOwner, ownerIsGone, PID_NAMESPACE } from '../../src/main/queue/lease-owner'

const HOST = 'box'
const OURS = '4026531836'
const THEIRS = '4026532999'

/** The pid of a real process that ran and has ended. */
function deadPid(): number {
  const { pid, status } = spawnSync(process.execPath, ['-e', ''])
  expect(status).toBe(0)
  return pid!
}

describe('lease owners', () => {
  const pid = deadPid()

  it('reads an owner in another pid namespace as alive, though its pid is missing here', () => {
    expect(ownerIsGone(`${HOST}:${pid}:abcd1234:${THEIRS}`, HOST, OURS)).toBe(false)
  })

  it('reads an owner in our pid namespace whose process ended as gone', () => {
    expect(ownerIsGone(`${HOST}:${pid}:abcd1234:${OURS}`, HOST, OURS)).toBe(true)
    // Another host's owner is never ours to judge, whatever its namespace.
    expect(ownerIsGone(`elsewhere:${pid}:abcd1234:${OURS}`, HOST, OURS)).toBe(false)
  })

  it('judges an owner an older GenOps wrote, without a namespace, by host and pid as before', () => {
    expect(ownerIsGone(`${HOST}:${pid}:abcd1234`, HOST, OURS)).toBe(true)
    expect(ownerIsGone(`${HOST}:${process.pid}:abcd1234`, HOST, OURS)).toBe(false)
    expect(ownerIsGone(`elsewhere:${pid}:abcd1234`, HOST, OURS)).toBe(false)
  })

  it.runIf(platform() === 'linux')('names this process’s pid namespace in its owners, after host, pid and the random part', () => {
    expect(PID_NAMESPACE).toMatch(/^\d+$/)
    const [host, ownerPid, random, namespace, ...rest] = newLeaseOwner().split(':')
    expect({ ownerPid: Number(ownerPid), namespace, rest }).toEqual({ ownerPid: process.pid, namespace: PID_NAMESPACE, rest: [] })
    expect(random).toMatch(/^[0-9a-f]{8}$/)
    // A process of ours that ended is gone; we never are.
    expect(ownerIsGone(`${host}:${pid}:${random}:${PID_NAMESPACE}`)).toBe(true)
    expect(ownerIsGone(newLeaseOwner())).toBe(false)
  })
})
