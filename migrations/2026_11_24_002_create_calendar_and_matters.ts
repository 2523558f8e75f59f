import { Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // Dated exceptions to "Monday–Friday work": public holidays and make-up working days (调休).
  await db.schema
    .createTable('calendar_days')
    .addColumn('date', 'date', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('holiday','workday')`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('source', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('updated_by', 'integer', (c) => c.references('users.id'))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  // History of every calendar change, since a change moves due dates.
  await db.schema
    .createTable('calendar_changes')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('date', 'date', (c) => c.notNull())
    .addColumn('old_kind', 'text')
    .addColumn('new_kind', 'text')
    .addColumn('name', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('actor_id', 'integer', (c) => c.references('users.id'))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`create trigger calendar_changes_append_only before update or delete on calendar_changes
            for each row execute function forbid_change()`.execute(db)

  // A matter (事项) is a stable code; its content lives in versions. A case keeps the version it was accepted under.
  await db.schema
    .createTable('matters')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('current_version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('demo', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('matters_county_code_key', ['county_id', 'code'])
    .execute()

  await db.schema
    .createTable('matter_versions')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('matter_id', 'integer', (c) => c.notNull().references('matters.id'))
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('department', 'text', (c) => c.notNull())
    .addColumn('case_type', 'text', (c) => c.notNull().check(sql`case_type in ('on_the_spot','promised','joint','referred')`))
    .addColumn('service_forms', sql`text[]`, (c) => c.notNull())
    .addColumn('proxiable', 'boolean', (c) => c.notNull())
    .addColumn('not_proxiable_reason', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('materials', 'jsonb', (c) => c.notNull())
    .addColumn('legal_basis', 'text', (c) => c.notNull())
    .addColumn('conditions', 'text', (c) => c.notNull())
    .addColumn('procedure', 'jsonb', (c) => c.notNull())
    .addColumn('statutory_limit', 'integer', (c) => c.notNull().check(sql`statutory_limit between 0 and 365`))
    .addColumn('promised_limit', 'integer', (c) => c.notNull().check(sql`promised_limit between 0 and 365`))
    .addColumn('limit_unit', 'text', (c) => c.notNull().check(sql`limit_unit in ('working','calendar')`))
    .addColumn('forward_limit', 'integer', (c) => c.notNull().defaultTo(3).check(sql`forward_limit between 0 and 60`))
    .addColumn('reply_limit', 'integer', (c) => c.notNull().defaultTo(2).check(sql`reply_limit between 0 and 60`))
    .addColumn('fee_fen', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`fee_fen >= 0`))
    .addColumn('fee_basis', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('complaint_channel', 'text', (c) => c.notNull())
    .addColumn('silence_consent', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('posting_rounds', 'integer', (c) => c.notNull().defaultTo(0).check(sql`posting_rounds between 0 and 5`))
    .addColumn('posting_days', 'integer', (c) => c.notNull().defaultTo(0).check(sql`posting_days between 0 and 60`))
    .addColumn('posting_fields', sql`text[]`, (c) => c.notNull().defaultTo(sql`'{}'`))
    .addColumn('created_by', 'integer', (c) => c.references('users.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('matter_versions_matter_version_key', ['matter_id', 'version'])
    // The promise to the villager never exceeds what the law allows.
    .addCheckConstraint('matter_versions_promise_within_law', sql`promised_limit <= statutory_limit`)
    .addCheckConstraint('matter_versions_posting_pairs', sql`(posting_rounds = 0) = (posting_days = 0)`)
    .execute()
  await sql`create trigger matter_versions_append_only before update or delete on matter_versions
            for each row execute function forbid_change()`.execute(db)
  await sql`create index matter_versions_name_trgm on matter_versions using gin (name gin_trgm_ops)`.execute(db)
}
