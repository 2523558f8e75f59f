import { hostname } from 'node:os'
import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'

/**
 * Runs a job once across all app instances: it holds a PostgreSQL advisory lock for its duration,
 * and an instance that cannot take the lock skips the run. Returns null when skipped.
 */
export async function runExclusively<T>(db: Db, jobName: string, work: (db: Db) => Promise<T>): Promise<T | null> {
  return db.connection().execute(async (conn) => {
    const { rows } = await sql<{ locked: boolean }>`select pg_try_advisory_lock(hashtext('job'), hashtext(${jobName})) as locked`.execute(conn)
    if (!rows[0]?.locked) return null
    try {
      return await work(conn)
    } finally {
      await sql`select pg_advisory_unlock(hashtext('job'), hashtext(${jobName}))`.execute(conn)
    }
  })
}

const INSTANCE = `${hostname()}:${process.pid}`

/**
 * Runs a job exclusively and records the run (start, end, rows touched, error) for the admins' page.
 * The run's times are the machine's wall clock on purpose, not the app's `now`: they tell an operator
 * when the process really ran and for how long, which a fixed or shifted business clock would falsify.
 *
 * A scheduled run passes its `slot` (the time the schedule fired for): every instance schedules
 * every job, and the lock alone would let an instance whose timer fired a moment after another's
 * run ended run the same slot again. The slot is claimed under the lock (one row per job and slot);
 * an instance that finds it claimed skips, as one that finds the lock taken does.
 */
export async function runRecordedJob(
  db: Db,
  jobName: string,
  work: (db: Db) => Promise<number>,
  options: { slot?: Date } = {},
): Promise<{ ran: boolean; rows: number; error: string | null }> {
  const outcome = await runExclusively(db, jobName, async (conn) => {
    const claimed = await db
      .insertInto('jobRuns')
      .values({ job: jobName, startedAt: new Date(), instance: INSTANCE, slot: options.slot ?? null })
      .onConflict((oc) => oc.columns(['job', 'slot']).doNothing())
      .returning('id')
      .executeTakeFirst()
    if (!claimed) return null
    const { id } = claimed
    try {
      const rows = await work(conn)
      await db.updateTable('jobRuns').set({ finishedAt: new Date(), rows }).where('id', '=', id).execute()
      return { ran: true, rows, error: null }
    } catch (error) {
      const message = (error as Error).message ?? String(error)
      await db.updateTable('jobRuns').set({ finishedAt: new Date(), error: message.slice(0, 2000) }).where('id', '=', id).execute()
      return { ran: true, rows: 0, error: message }
    }
  })
  return outcome ?? { ran: false, rows: 0, error: null }
}
