import { Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // The provincial 好差评 record names the place by its 12-digit administrative division code
  // (统计用区划代码) and the implementing department by its code. Empty until an administrator sets it.
  for (const table of ['towns', 'villages']) {
    await db.schema
      .alterTable(table)
      .addColumn('division_code', 'text', (c) => c.notNull().defaultTo('').check(sql`division_code ~ '^([0-9]{12})?$'`))
      .execute()
  }
  await db.schema
    .alterTable('windows')
    .addColumn('department_code', 'text', (c) => c.notNull().defaultTo('').check(sql`department_code ~ '^([0-9A-Z-]{2,32})?$'`))
    .execute()

  // Each rating is pushed to the provincial platform once: one row per rated case, written in the
  // rating's transaction and sent by a job with the text messages' retry schedule.
  await db.schema
    .createTable('rating_outbox')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('case_id', 'bigint', (c) => c.notNull().unique().references('case_ratings.case_id'))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('pending').check(sql`status in ('pending','sent','failed')`))
    .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('next_attempt_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('last_error', 'text')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('sent_at', 'timestamptz')
    .execute()
  await sql`create index rating_outbox_due_idx on rating_outbox (next_attempt_at) where status = 'pending'`.execute(db)
}
