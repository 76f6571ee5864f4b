/** Lease owners: who holds an active job, named so that a successor can tell a crashed owner from a live one. */
import { randomUUID } from 'node:crypto'
import { readlinkSync } from 'node:fs'
import { hostname } from 'node:os'

/**
 * The number of this process's pid namespace on Linux (`pid:[4026531836]` at /proc/self/ns/pid),
 * '' elsewhere or when it cannot be read. Engines in containers (or a container and the host)
 * may share a hostname while each has its own process ids: a pid missing here says nothing of
 * a process in another namespace.
 */
export const PID_NAMESPACE = readPidNamespace()

function readPidNamespace(): string {
  try {
    return /^pid:\[(\d+)\]$/.exec(readlinkSync('/proc/self/ns/pid'))?.[1] ?? ''
  } catch {
    return ''
  }
}

/**
 * Host, process and a random part (two engines in one process still differ), then the pid
 * namespace where there is one. It goes last so that owners written before it, and GenOps
 * builds that read only host and pid, read the same host and pid.
 */
export function newLeaseOwner(): string {
  return [hostname(), process.pid, randomUUID().slice(0, 8), ...(PID_NAMESPACE ? [PID_NAMESPACE] : [])].join(':')
}

/**
 * True when the owner ran on this host, in our pid namespace, in a process that no longer
 * exists. An owner that names no namespace (an older GenOps, or no Linux) is judged by host
 * and pid alone, as it always was.
 */
export function ownerIsGone(owner: string, host = hostname(), namespace = PID_NAMESPACE): boolean {
  const [ownerHost, pidText, , ownerNamespace] = owner.split(':')
  return ownerHost === host && (ownerNamespace === undefined || ownerNamespace === namespace) && processIsGone(Number(pidText))
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
