import { Kysely, sql } from 'kysely'

// Frozen in time: this file never imports application code.
export async function up(db: Kysely<any>): Promise<void> {
  await sql`create extension if not exists pg_trgm`.execute(db)

  await db.schema
    .createTable('counties')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()

  await db.schema
    .createTable('towns')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('code', 'text', (c) => c.notNull().unique())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('address', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('towns_county_idx').on('towns').column('county_id').execute()

  // Each village has exactly one service station (代办站); the station's facts live on the village row.
  await db.schema
    .createTable('villages')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('town_id', 'integer', (c) => c.notNull().references('towns.id'))
    .addColumn('code', 'text', (c) => c.notNull().unique().check(sql`code ~ '^[0-9A-Z]{2,12}$'`))
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('station_phone', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('office_hours', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('address', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('villages_town_idx').on('villages').column('town_id').execute()

  // A window sits in a town centre, or in the county centre when town_id is null.
  await db.schema
    .createTable('windows')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('town_id', 'integer', (c) => c.references('towns.id'))
    .addColumn('department', 'text', (c) =>
      c.notNull().check(sql`department in ('civil_affairs','labour','family_planning','land','forestry','agriculture','broadcasting','rural_finance','other')`),
    )
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('windows_town_idx').on('windows').columns(['town_id', 'department']).execute()

  await db.schema
    .createTable('users')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('username', 'text', (c) => c.notNull().check(sql`username ~ '^[a-z0-9][a-z0-9._-]{2,31}$'`))
    .addColumn('display_name', 'text', (c) => c.notNull())
    .addColumn('phone', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('agent','clerk','supervisor','admin')`))
    .addColumn('post', 'text', (c) => c.check(sql`post in ('A','B')`))
    .addColumn('village_id', 'integer', (c) => c.references('villages.id'))
    .addColumn('window_id', 'integer', (c) => c.references('windows.id'))
    .addColumn('town_id', 'integer', (c) => c.references('towns.id'))
    .addColumn('password_hash', 'text', (c) => c.notNull())
    .addColumn('token_version', 'integer', (c) => c.notNull().defaultTo(1))
    .addColumn('disabled', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('locked_until', 'timestamptz')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // The place a user works is fixed by the role: the jurisdiction rules depend on it.
    .addCheckConstraint(
      'users_scope_by_role',
      sql`(role = 'agent' and village_id is not null and post is not null and window_id is null and town_id is null)
       or (role = 'clerk' and window_id is not null and village_id is null and town_id is null and post is null)
       or (role = 'supervisor' and village_id is null and window_id is null and post is null)
       or (role = 'admin' and village_id is null and window_id is null and town_id is null and post is null)`,
    )
    .execute()
  await sql`create unique index users_username_key on users (lower(username))`.execute(db)
  await db.schema.createIndex('users_village_idx').on('users').column('village_id').execute()
  await db.schema.createIndex('users_window_idx').on('users').column('window_id').execute()

  await db.schema
    .createTable('login_failures')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('ip', 'text', (c) => c.notNull())
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('login_failures_user_at_idx').on('login_failures').columns(['user_id', 'at']).execute()

  // Append-only record of administrative changes (users, org tree, catalogue, calendar).
  await db.schema
    .createTable('audit_events')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('actor_id', 'integer', (c) => c.references('users.id'))
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('subject_type', 'text', (c) => c.notNull())
    .addColumn('subject_id', 'text', (c) => c.notNull())
    .addColumn('data', 'jsonb', (c) => c.notNull().defaultTo(sql`'{}'::jsonb`))
    .addColumn('at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('audit_events_subject_idx').on('audit_events').columns(['subject_type', 'subject_id']).execute()

  // Append-only means append-only: the database refuses updates and deletes.
  await sql`
    create function forbid_change() returns trigger language plpgsql as $$
    begin
      raise exception '% rows are append-only', tg_table_name using errcode = 'P0001';
    end $$`.execute(db)
  await sql`create trigger audit_events_append_only before update or delete on audit_events
            for each row execute function forbid_change()`.execute(db)
}
