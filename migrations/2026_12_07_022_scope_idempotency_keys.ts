import { Kysely, sql } from 'kysely'

/**
 * An idempotency key belongs to whoever issued it: a station's intake form (`station:<village>`),
 * a partner key (`partner:<api key>`), or the county's import of its old ledgers (`import`). One
 * global namespace let an agent claim a partner's predictable key or an import's natural key first,
 * so the villager's request was silently never filed and the partner was answered another case.
 * A key is now unique per county and issuer; a key from another issuer files a new case.
 */
export async function up(db: Kysely<any>): Promise<void> {
  await db.schema.alterTable('cases').addColumn('idempotency_scope', 'text').execute()
  await fillScopes(db)
  await sql`alter table cases alter column idempotency_scope set not null`.execute(db)
  await sql`alter table cases add constraint cases_idempotency_scope_check check (idempotency_scope ~ '^(station:[0-9]+|partner:[0-9]+|import)$')`.execute(db)
  await sql`alter table cases drop constraint cases_idempotency_key_key`.execute(db)
  await sql`alter table cases add constraint cases_idempotency_key_scope_key unique (county_id, idempotency_scope, idempotency_key)`.execute(db)
}

/** The issuer of each existing case's key: the partner key that filed it, the import, else its station. */
export async function fillScopes(db: Kysely<any>): Promise<void> {
  await sql`
    update cases set idempotency_scope = case
      when api_key_id is not null then 'partner:' || api_key_id
      when exists (select 1 from case_events e where e.case_id = cases.id and e.action = 'imported') then 'import'
      else 'station:' || village_id
    end`.execute(db)
}
