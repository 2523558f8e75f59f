import { Kysely, sql } from 'kysely'

/**
 * Who saw whose personal data (PIPL): one row per reveal of a masked field, per export that
 * carried full personal data (with its row count and the applicants in it), per access report
 * printed for a villager. Append-only, except that rows older than three years may be removed by
 * the retention job; nothing younger can be changed or deleted, not even by the owner's role
 * through the app.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('personal_data_access')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('actor_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('reveal','export','report')`))
    .addColumn('applicant_id', 'integer', (c) => c.references('applicants.id'))
    .addColumn('field', 'text', (c) => c.check(sql`field in ('id_number','phone')`))
    .addColumn('page', 'text', (c) => c.notNull().check(sql`length(page) between 1 and 300`))
    .addColumn('export_name', 'text')
    .addColumn('row_count', 'integer', (c) => c.check(sql`row_count >= 0`))
    .addColumn('applicant_ids', sql`integer[]`)
    .addCheckConstraint('personal_data_access_reveal_shape', sql`kind <> 'reveal' or (applicant_id is not null and field is not null)`)
    .addCheckConstraint('personal_data_access_export_shape', sql`kind <> 'export' or (export_name is not null and row_count is not null)`)
    .execute()
  await sql`create index personal_data_access_county_at_idx on personal_data_access (county_id, at)`.execute(db)
  await sql`create index personal_data_access_actor_at_idx on personal_data_access (actor_id, at)`.execute(db)
  await sql`create index personal_data_access_applicant_idx on personal_data_access (applicant_id, at)`.execute(db)
  await sql`create index personal_data_access_applicant_ids_idx on personal_data_access using gin (applicant_ids)`.execute(db)

  // Kept at least three years: younger rows cannot be touched; older ones may only be deleted.
  await sql`
    create function personal_data_access_guard() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' and old.at < now() - interval '3 years' then
        return old;
      end if;
      raise exception 'personal_data_access rows are append-only for three years' using errcode = 'P0001';
    end $$`.execute(db)
  await sql`create trigger personal_data_access_guard before update or delete on personal_data_access
            for each row execute function personal_data_access_guard()`.execute(db)
}
