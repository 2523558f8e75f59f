import { Kysely } from 'kysely'

/**
 * An uploaded workbook holds the rows as typed — names, ID numbers in clear, phones — in DATA_DIR,
 * outside the database's protections. The retention job removes it some days after its import
 * finished (privacy/retention.ts) and says so on the job's page: when, here.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('import_jobs').addColumn('workbook_removed_at', 'timestamptz').execute()
}
