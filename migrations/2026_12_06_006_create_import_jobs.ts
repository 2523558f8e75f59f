import { Kysely, sql } from 'kysely'

/**
 * Imports of a county's existing records from Excel: each upload is a job that runs on the server
 * (a dry run, then the import), so a closed browser loses nothing and the page can be opened
 * again. The job keeps its progress, its counts and every row's problems.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('import_jobs')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('applicants','cases','visits')`))
    .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('dry_run','import')`))
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('queued').check(sql`status in ('queued','running','done','refused','failed')`))
    .addColumn('file_name', 'text', (c) => c.notNull())
    .addColumn('file_path', 'text', (c) => c.notNull())
    .addColumn('file_sha256', 'text', (c) => c.notNull())
    .addColumn('dry_run_id', 'integer', (c) => c.references('import_jobs.id'))
    .addColumn('total_rows', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('rows_done', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('added', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('already_there', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('error_count', 'integer', (c) => c.notNull().defaultTo(0))
    .addColumn('errors', 'jsonb', (c) => c.notNull().defaultTo(sql`'[]'::jsonb`))
    .addColumn('message', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_by', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('finished_at', 'timestamptz')
    .addColumn('heartbeat_at', 'timestamptz')
    .execute()
  // An imported visit's natural key: importing the same workbook again adds nothing.
  await db.schema.alterTable('visits').addColumn('import_key', 'text', (c) => c.unique()).execute()
}
