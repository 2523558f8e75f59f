import { Kysely, sql } from 'kysely'

/**
 * Wrong phone tails per typed case number: a case number is guessable (village code, date,
 * sequence) and only 10⁴ tails protect it, so failures are counted per number as well as per address.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('lookup_failures')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('case_no', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('lookup_failures_case_no_at_idx').on('lookup_failures').columns(['case_no', 'at']).execute()
}
