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
