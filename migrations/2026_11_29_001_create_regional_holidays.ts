import { Kysely, sql } from 'kysely'

/**
 * A county's own statutory days off (e.g. 广西 三月三, 藏历新年), on top of the national schedule.
 * A removed day keeps its row with who removed it and when: it moved due dates while it stood.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('regional_holidays')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('date', 'date', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(btrim(name)) between 1 and 50`))
    .addColumn('added_by', 'integer', (c) => c.references('users.id'))
    .addColumn('added_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('removed_by', 'integer', (c) => c.references('users.id'))
    .addColumn('removed_at', 'timestamptz')
    .execute()
  // One standing day per county and date; removed ones may repeat.
  await sql`create unique index regional_holidays_standing_idx on regional_holidays (county_id, date) where removed_at is null`.execute(db)
}
