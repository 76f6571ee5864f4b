/** system.json: what GenOps runs on, the first thing a support reply asks about. */
import { arch, cpus, freemem, platform, release, totalmem, uptime } from 'node:os'

export interface SystemInfo {
  genopsVersion: string
  versions: { node: string; electron: string | null; v8: string; uv: string; zlib: string }
  os: { platform: string; release: string; arch: string; uptimeSeconds: number }
  cpu: { model: string; count: number }
  memory: { totalBytes: number; freeBytes: number }
  process: { pid: number; uptimeSeconds: number; rssBytes: number; heapUsedBytes: number }
}

export function systemInfo(genopsVersion: string): SystemInfo {
  const processors = cpus()
  const memory = process.memoryUsage()
  return {
    genopsVersion,
    // process.versions.electron is there only in the desktop app (the CLI and `serve` run on Node).
    versions: {
      node: process.versions.node,
      electron: process.versions.electron ?? null,
      v8: process.versions.v8,
      uv: process.versions.uv,
      zlib: process.versions.zlib,
    },
    os: { platform: platform(), release: release(), arch: arch(), uptimeSeconds: Math.round(uptime()) },
    cpu: { model: processors[0]?.model.trim() ?? 'unknown', count: processors.length },
    memory: { totalBytes: totalmem(), freeBytes: freemem() },
    process: { pid: process.pid, uptimeSeconds: Math.round(process.uptime()), rssBytes: memory.rss, heapUsedBytes: memory.heapUsed },
  }
}
