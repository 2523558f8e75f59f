import { Kysely, sql } from 'kysely'

/**
 * Indexes for the pages and jobs that must stay fast with a million cases (see BENCHMARKS.md):
 * the newest cases of a station or town (ledger, search), and the month's cases by the dates the
 * monthly statistics count, so neither reads the whole table.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.createIndex('cases_village_id_idx').on('cases').columns(['village_id', 'id']).execute()
  await db.schema.createIndex('cases_town_id_idx').on('cases').columns(['town_id', 'id']).execute()
  await db.schema.createIndex('cases_registered_on_idx').on('cases').column('registered_on').execute()
  await db.schema.createIndex('cases_accepted_on_idx').on('cases').column('accepted_on').execute()
  await db.schema.createIndex('cases_completed_on_idx').on('cases').column('completed_on').execute()
  await sql`create index case_events_withdrawn_idx on case_events (at) where action = 'withdraw'`.execute(db)
  await db.schema.createIndex('case_ratings_recorded_at_idx').on('case_ratings').column('recorded_at').execute()
}
