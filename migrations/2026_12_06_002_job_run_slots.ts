import { Kysely, sql } from 'kysely'

/**
 * Each scheduled run of a job happens once however many instances schedule it. The advisory lock
 * only keeps two runs from overlapping: an instance whose clock fired a moment later would take
 * the lock after the first run released it and run the same slot again. A scheduled run now
 * claims its slot (the minute it was scheduled for) with a row; a second claim of the same slot
 * finds it taken and skips. Runs started by hand or by a command have no slot and never conflict.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('job_runs').addColumn('slot', 'timestamptz').execute()
  await sql`create unique index job_runs_slot_idx on job_runs (job, slot)`.execute(db)
}
