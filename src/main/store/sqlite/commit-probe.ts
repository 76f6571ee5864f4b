import type { Database } from 'better-sqlite3'
import { sql } from './db/connection'

/**
 * A write the database must commit, to learn whether the disk takes one: the health
 * check's probe rolls back and so never needs a page, this one commits (a row written and
 * removed in one transaction: the page still goes to the WAL). Throws SQLITE_FULL while the
 * disk refuses.
 */
export function commitProbe(db: Database): void {
  db.transaction(() => {
    sql(db, `INSERT INTO queue_settings (key, value) VALUES ('storage_probe', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run(
      String(Date.now()),
    )
    sql(db, `DELETE FROM queue_settings WHERE key = 'storage_probe'`).run()
  }).immediate()
}
