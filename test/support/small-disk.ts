/**
 * A disk that fills: a small tmpfs mounted for one test as its data directory, and a file of
 * zeros that takes the rest. Mounting needs root; a test file asks `cannotMount()` once and
 * skips with the reason, except in CI, where it runs (and fails).
 */
import { spawnSync } from 'node:child_process'
import { closeSync, mkdtempSync, openSync, rmSync, statfsSync, writeSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { expect } from 'vitest'

/** Why this machine cannot mount a tmpfs; null when it can (it tries once). */
export function cannotMount(): string | null {
  if (process.getuid?.() !== 0) return 'not running as root'
  const probe = mkdtempSync(join(tmpdir(), 'genops-tmpfs-probe-'))
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', probe], { encoding: 'utf8' })
  if (mounted.status === 0) spawnSync('umount', [probe])
  rmSync(probe, { recursive: true, force: true })
  return mounted.status === 0 ? null : `mount -t tmpfs failed: ${(mounted.stderr || mounted.error?.message || '').trim()}`
}

const mounts: string[] = []

/** Unmounts and removes every disk smallDisk made: call it in the test file's afterAll. */
export function unmountSmallDisks(): void {
  for (const dir of mounts.splice(0)) {
    // Lazily when a failed test left a file open on it: the mount goes either way.
    if (spawnSync('umount', [dir]).status !== 0) spawnSync('umount', ['-l', dir])
    rmSync(dir, { recursive: true, force: true })
  }
}

/** A fresh tmpfs of `size` (like 16m): the data directory of one test. */
export function smallDisk(size: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'genops-full-disk-'))
  const mounted = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' })
  if (mounted.status !== 0) throw new Error(`mount failed: ${mounted.stderr}`)
  mounts.push(dir)
  return dir
}

/** Writes zeros into `<dir>/filler` until the disk refuses another byte; returns its path. */
export function fillDisk(dir: string): string {
  const path = join(dir, 'filler')
  const fd = openSync(path, 'w')
  try {
    // Big chunks for speed, then pages for what is left (a short write leaves less than a chunk).
    for (const size of [1024 * 1024, 4096, 1]) {
      const chunk = Buffer.alloc(size)
      try {
        for (;;) writeSync(fd, chunk)
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error
      }
    }
  } finally {
    closeSync(fd)
  }
  const { bavail } = statfsSync(dir)
  expect(bavail).toBe(0)
  return path
}
