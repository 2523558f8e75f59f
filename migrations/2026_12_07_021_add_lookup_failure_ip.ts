import { Kysely } from 'kysely'

/**
 * Wrong phone tails are counted per address and typed case number: counted per number alone, five
 * wrong tails from anywhere (the Open311 feed lists open case numbers) locked the villager out of
 * their own case for an hour. Rows from before have no address ('') and age out within the hour.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('lookup_failures').addColumn('ip', 'text', (c) => c.notNull().defaultTo('')).execute()
  await db.schema.dropIndex('lookup_failures_case_no_at_idx').execute()
  await db.schema.createIndex('lookup_failures_ip_case_no_at_idx').on('lookup_failures').columns(['ip', 'case_no', 'at']).execute()
}
