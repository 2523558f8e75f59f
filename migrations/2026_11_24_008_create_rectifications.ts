import { Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // 整改: a bad rating opens one for the unit that handled the case.
  await db.schema
    .createTable('rectifications')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('town_id', 'integer', (c) => c.notNull().references('towns.id'))
    .addColumn('case_id', 'bigint', (c) => c.notNull().unique().references('cases.id'))
    .addColumn('village_id', 'integer', (c) => c.references('villages.id'))
    .addColumn('window_id', 'integer', (c) => c.references('windows.id'))
    .addColumn('rating', 'text', (c) => c.notNull())
    .addColumn('comment', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('due_on', 'date', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('open','submitted','accepted','returned','appealed','appeal_upheld')`))
    .addColumn('callback', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('fixed', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('reply', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('appeal_reason', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('decision_note', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // Exactly one unit: the window that handled the case, or the station for a case it kept.
    .addCheckConstraint('rectifications_one_unit', sql`(village_id is null) <> (window_id is null)`)
    .execute()
  await db.schema.createIndex('rectifications_window_idx').on('rectifications').columns(['window_id', 'status']).execute()
  await db.schema.createIndex('rectifications_village_idx').on('rectifications').columns(['village_id', 'status']).execute()

  // Every step of a rectification, append-only.
  await db.schema
    .createTable('rectification_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('rectification_id', 'integer', (c) => c.notNull().references('rectifications.id'))
    .addColumn('actor_id', 'integer', (c) => c.references('users.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('from_status', 'text')
    .addColumn('to_status', 'text', (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`create trigger rectification_events_append_only before update or delete on rectification_events for each row execute function forbid_change()`.execute(db)
}
