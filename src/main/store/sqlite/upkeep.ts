/**
 * SQLite's upkeep (store/upkeep.ts): one file, so its checks look at the file and its disk,
 * checkpoints copy the WAL into it on a thread of their own, a quick_check reads it at start
 * (on another), backups copy it, and a damaged page names it.
 */
import { dirname } from 'node:path'
import type { Database } from 'better-sqlite3'
import { startCheckpointer } from './db/checkpointer'
import { startDailyBackups } from './db/daily-backups'
import { namedDamage } from './db/damage'
import { startIntegrityCheck } from './db/integrity'
import { databaseSizeBytes } from './db/size'
import { databaseWritable, freeDisk } from '../../health/checks'
import { commitProbe } from './commit-probe'
import { databaseIntegrity, databaseIntegrityOnDemand } from '../../health/integrity'
import type { HealthCheck } from '../../health/registry'
import { CHECKPOINT_THREAD_FILE, INTEGRITY_THREAD_FILE } from '../../paths'
import { countHeldBy } from './queue/held'
import type { RunningUpkeep, StoreBundleFiles, StoreUpkeep, UpkeepHooks } from '../upkeep'
import { integrityCheck, recentSpans } from './bundle-reads'

export class SqliteUpkeep implements StoreUpkeep {
  constructor(
    private readonly db: Database,
    /** better-sqlite3's native module for the threads too (the desktop app's Electron ABI). */
    private readonly nativeBinding: string | undefined,
  ) {}

  get name(): string {
    return this.db.name
  }

  get dataDir(): string | null {
    return this.db.memory ? null : dirname(this.db.name)
  }

  start(hooks: UpkeepHooks, { checkpointMs }: { checkpointMs: number }): RunningUpkeep {
    const { db, nativeBinding } = this
    const checkpointer = startCheckpointer(db, {
      threadFile: CHECKPOINT_THREAD_FILE,
      intervalMs: checkpointMs,
      nativeBinding,
      onError: (message, code) => hooks.onWriteFailure(message, code),
    })
    // quick_check reads the whole file: on its own thread, while the rest starts; health says "checking" meanwhile.
    const integrity = startIntegrityCheck(db.name, { threadFile: INTEGRITY_THREAD_FILE, nativeBinding })
    return {
      integrity,
      startBackups: (config, { dir, freeDiskBytes, minFreeDiskBytes }) =>
        startDailyBackups(config, { db, dir, integrity, freeDiskBytes, minFreeDiskBytes, threadFile: INTEGRITY_THREAD_FILE, nativeBinding, log: hooks.log }),
      stop: async () => {
        integrity.stop()
        await checkpointer.stop()
      },
    }
  }

  healthChecks({ minFreeDiskBytes, writesRefused, integrity }: Parameters<StoreUpkeep['healthChecks']>[0]): HealthCheck[] {
    const checks = [databaseWritable(this.db, { refused: writesRefused })]
    if (integrity) checks.push(databaseIntegrity(integrity))
    else if (!this.db.memory) checks.push(databaseIntegrityOnDemand(this.db.name, { threadFile: INTEGRITY_THREAD_FILE, nativeBinding: this.nativeBinding }))
    checks.push(freeDisk(dirname(this.db.name), { minFreeBytes: minFreeDiskBytes }))
    return checks
  }

  sizeBytes(): number {
    return databaseSizeBytes(this.db)
  }

  commitProbe(): void {
    commitProbe(this.db)
  }

  heldJobs(gates: Parameters<StoreUpkeep['heldJobs']>[0], dueQueued: number, held: Parameters<StoreUpkeep['heldJobs']>[2]): number {
    return countHeldBy(this.db, gates, dueQueued, held)
  }

  namedDamage(error: unknown): unknown {
    return namedDamage(error, this.db.name)
  }

  /** Read on connections of their own (bundle-reads.ts): the bundle never shares the engine's statements or takes its write lock. */
  get bundleFiles(): StoreBundleFiles {
    const file = { file: this.db.name, nativeBinding: this.nativeBinding }
    return { integrity: () => integrityCheck(file), traces: async (limit) => recentSpans(file, limit) }
  }
}
