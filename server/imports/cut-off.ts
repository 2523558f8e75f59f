import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'

/**
 * Import jobs cut off by a crash or a restart. A running job writes its heartbeat at least every
 * HEARTBEAT_MS; one queued or running whose last sign of life is older than CUT_OFF_MS has no
 * process left to finish it (with two instances on one database, a job another instance is running
 * keeps its heartbeat fresh). Such a job is marked failed, with a message, so its page says so and
 * the retention job (privacy/retention.ts) removes its workbook — ID numbers in clear — in time,
 * instead of keeping it for a job that stays "running" forever.
 */
export const HEARTBEAT_MS = 30 * 1000
export const CUT_OFF_MS = 2 * 60 * 1000

/** Marks every cut-off job failed; returns how many. */
export async function failCutOffImportJobs(db: Db, now: Date): Promise<number> {
  const before = new Date(now.getTime() - CUT_OFF_MS)
  const result = await db
    .updateTable('importJobs')
    .set({ status: 'failed', message: JSON.stringify({ key: 'imports.cutOffFailed' }), finishedAt: now })
    .where('status', 'in', ['queued', 'running'])
    .where(sql<Date>`coalesce(heartbeat_at, created_at)`, '<', before)
    .executeTakeFirst()
  return Number(result.numUpdatedRows)
}
