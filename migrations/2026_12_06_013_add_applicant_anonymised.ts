import { Kysely, sql } from 'kysely'

/**
 * PIPL art. 19 and 47: personal information is kept no longer than its purpose needs. An applicant
 * with no case or visit for years is anonymised by a nightly job (privacy/retention.ts): the name
 * is reduced, the ID number, phone and address removed, the cases kept for the statistics.
 * `anonymised_at` says when; null means the file is whole.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('applicants').addColumn('anonymised_at', 'timestamptz').execute()
  // What the database can hold: an anonymised file keeps no phone or address. (The ID number is
  // cleared in the same statement; its columns are the encryption change's to constrain.)
  await sql`alter table applicants add constraint applicants_anonymised_bare check (anonymised_at is null or (phone = '' and address = ''))`.execute(db)
  // The job's candidates: files not yet anonymised, created before the cut-off. Anonymised files
  // leave the index, so each night reads only the files that might still be due.
  await sql`create index applicants_dormant_idx on applicants (created_at) where anonymised_at is null`.execute(db)
}
