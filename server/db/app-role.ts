import pg from 'pg'

/**
 * The role the app's requests run as: it reads and writes rows and owns nothing, so it can run no
 * DDL, cannot switch off the append-only triggers on events and fee entries (only a table's owner
 * can), and cannot run programs with COPY … TO PROGRAM (only a superuser can). Migrations, backups
 * and the bench connect as the owner instead.
 */
export const APP_ROLE = 'bianmin_app'

/** Creates or updates the app's role and its grants; run as the owner after every migration (new tables). */
export async function ensureAppRole(ownerUrl: string, password: string): Promise<void> {
  const client = new pg.Client({ connectionString: ownerUrl })
  await client.connect()
  try {
    const database = (await client.query<{ db: string }>('select current_database() as db')).rows[0].db
    const exists = await client.query('select 1 from pg_roles where rolname = $1', [APP_ROLE])
    if (exists.rowCount === 0) await client.query(`create role ${APP_ROLE} login`)
    // The password is generated (base64url), never typed: safe to place in the statement.
    await client.query(`alter role ${APP_ROLE} with login nosuperuser nocreatedb nocreaterole noreplication nobypassrls password '${password.replace(/'/g, '')}'`)
    await client.query(`grant connect on database "${database.replace(/"/g, '')}" to ${APP_ROLE}`)
    await client.query(`revoke create on schema public from public`)
    await client.query(`grant usage on schema public to ${APP_ROLE}`)
    await client.query(`grant select, insert, update, delete on all tables in schema public to ${APP_ROLE}`)
    await client.query(`grant usage, select on all sequences in schema public to ${APP_ROLE}`)
    // The migration book-keeping is the owner's alone.
    await client.query(`revoke all on kysely_migration, kysely_migration_lock from ${APP_ROLE}`)
  } finally {
    await client.end()
  }
}

/** The same server and database, as the app's role. */
export function appRoleUrl(ownerUrl: string, password: string): string {
  const url = new URL(ownerUrl)
  url.username = APP_ROLE
  url.password = password
  return url.toString()
}
