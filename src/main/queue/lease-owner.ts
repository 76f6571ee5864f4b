/** Lease owners: who holds an active job, named so that a successor can tell a crashed owner from a live one. */
import { randomUUID } from 'node:crypto'
import { hostname } from 'node:os'

/** Host, process and a random part: two engines in one process still differ. */
export function newLeaseOwner(): string {
  return `${hostname()}:${process.pid}:${randomUUID().slice(0, 8)}`
}

/** True when the owner ran on this host in a process that no longer exists. */
export function ownerIsGone(owner: string, host = hostname()): boolean {
  const [ownerHost, pidText] = owner.split(':')
  return ownerHost === host && processIsGone(Number(pidText))
}

/** True when no process of this pid runs on this machine (never for our own). */
export function processIsGone(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0 || pid === process.pid) return false
  try {
    process.kill(pid, 0)
    return false
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ESRCH'
  }
}
