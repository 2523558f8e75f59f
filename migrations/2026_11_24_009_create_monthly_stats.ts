import { Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // The statistics of a closed month, computed on the 1st of the next and kept as they were.
  await db.schema
    .createTable('monthly_stats')
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('month', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull())
    .addColumn('computed_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addPrimaryKeyConstraint('monthly_stats_pkey', ['county_id', 'month'])
    .execute()
  // A rating recorded by the rules (no applicant answered) is told apart from a real one.
  await db.schema.alterTable('case_ratings').addColumn('by_default', 'boolean', (c) => c.notNull().defaultTo(false)).execute()
}
