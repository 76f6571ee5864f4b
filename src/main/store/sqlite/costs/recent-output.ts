/**
 * What a provider and model answered lately, from the hourly rollups: how many attempts
 * completed and the output tokens they gave, so an estimate can expect the mean of them.
 */
import type { Database } from 'better-sqlite3'
import { RESOLUTION_MS } from '../../../../shared/costs'
import { sql } from '../db/connection'
import type { RecentOutput } from '../../../costs/store'

export const RECENT_OUTPUT = `SELECT ifnull(sum(completed), 0) AS completed, ifnull(sum(output_tokens), 0) AS outputTokens FROM usage_rollups
  WHERE resolution = ${RESOLUTION_MS['1h']} AND bucket >= @since AND provider = @provider AND model = @model`

export function recentOutput(db: Database, provider: string, model: string | null, since: number): RecentOutput {
  return sql(db, RECENT_OUTPUT).get({ since: since - (since % RESOLUTION_MS['1h']), provider, model: model ?? '' }) as RecentOutput
}
