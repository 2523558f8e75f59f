import { Kysely, sql } from 'kysely'

/**
 * Partner channels (the 12345 hotline, a WeChat mini-program, the provincial portal) file requests
 * through the Open311 API with a key an administrator issued. Only the key's SHA-256 is kept: the
 * key itself is shown once. A revoked key keeps its row (who revoked it, when) so the cases it
 * filed still say where they came from.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema
    .createTable('api_keys')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('town_id', 'integer', (c) => c.references('towns.id'))
    .addColumn('partner', 'text', (c) => c.notNull().check(sql`length(btrim(partner)) between 1 and 60`))
    .addColumn('channel', 'text', (c) => c.notNull().check(sql`channel in ('hotline','mini_program','portal')`))
    .addColumn('key_hash', 'text', (c) => c.notNull().unique())
    .addColumn('key_hint', 'text', (c) => c.notNull())
    .addColumn('created_by', 'integer', (c) => c.references('users.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('revoked_by', 'integer', (c) => c.references('users.id'))
    .addColumn('revoked_at', 'timestamptz')
    .addColumn('last_used_at', 'timestamptz')
    .execute()

  // Requests from partners arrive by these channels too.
  await sql`alter table cases drop constraint cases_channel_check`.execute(db)
  await sql`alter table cases add constraint cases_channel_check check (channel in ('station','home','phone','hotline','mini_program','portal'))`.execute(db)
  // Which key filed a case: that partner may follow it even when its matter is kept off public lists.
  await db.schema.alterTable('cases').addColumn('api_key_id', 'integer', (c) => c.references('api_keys.id')).execute()
  // Open311 lists requests by the time they were filed, newest first, within a county.
  await sql`create index cases_county_created_idx on cases (county_id, created_at)`.execute(db)
}
