import { Kysely, sql } from 'kysely'

/**
 * The working-day calendar is cached in each app process (it is read on most pages). With more
 * than one instance an edit made on one must reach the others' deadline computations at once,
 * not when their cache expires. Every change to the national schedule or a county's days off
 * raises one counter, in the same transaction; a process reads the counter (one row) on each load
 * and reloads the calendar only when it moved. Being a row, not a sequence, it moves for others
 * only when the edit commits: no one can read the new number with the old days and keep them.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('calendar_version')
    .addColumn('id', 'boolean', (c) => c.primaryKey().defaultTo(true).check(sql`id`))
    .addColumn('version', 'bigint', (c) => c.notNull().defaultTo(0))
    .execute()
  await sql`insert into calendar_version (id, version) values (true, 0)`.execute(db)
  await sql`
    create function bump_calendar_version() returns trigger language plpgsql as $$
    begin
      update calendar_version set version = version + 1;
      return null;
    end $$`.execute(db)
  for (const table of ['calendar_days', 'regional_holidays']) {
    await sql`create trigger ${sql.id(`${table}_bump_version`)} after insert or update or delete or truncate on ${sql.table(table)}
              for each statement execute function bump_calendar_version()`.execute(db)
  }
}
