import { Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // 公示: postings, monthly case lists and announcements of a village board.
  await db.schema
    .createTable('notices')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('town_id', 'integer', (c) => c.notNull().references('towns.id'))
    .addColumn('village_id', 'integer', (c) => c.notNull().references('villages.id'))
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('posting','monthly_list','announcement')`))
    .addColumn('title', 'text', (c) => c.notNull())
    // What the public sees, fixed when published: already masked, only the fields the rule allows.
    .addColumn('content', 'jsonb', (c) => c.notNull())
    .addColumn('shown_from', 'date', (c) => c.notNull())
    .addColumn('shown_to', 'date')
    .addColumn('status', 'text', (c) => c.notNull().check(sql`status in ('pending','published','withdrawn')`))
    .addColumn('case_id', 'bigint', (c) => c.references('cases.id'))
    .addColumn('round', 'integer')
    .addColumn('month', 'text', (c) => c.check(sql`month ~ '^[0-9]{4}-[0-9]{2}$'`))
    .addColumn('replaces_id', 'bigint', (c) => c.references('notices.id'))
    .addColumn('posting_closed_on', 'date')
    .addColumn('created_by', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('published_at', 'timestamptz')
    .addColumn('approved_by', 'integer', (c) => c.references('users.id'))
    .addColumn('withdrawn_reason', 'text')
    .addColumn('withdrawn_by', 'integer', (c) => c.references('users.id'))
    .addColumn('withdrawn_at', 'timestamptz')
    .addCheckConstraint('notices_withdrawal_has_reason', sql`(status = 'withdrawn') = (withdrawn_reason is not null)`)
    .execute()
  await db.schema.createIndex('notices_village_status_idx').on('notices').columns(['village_id', 'status', 'kind']).execute()
  await db.schema.createIndex('notices_case_idx').on('notices').column('case_id').execute()

  // A published notice is never edited: only its status may move on (withdrawn), or a posting be closed.
  await sql`
    create function notices_frozen() returns trigger language plpgsql as $$
    begin
      if tg_op = 'DELETE' then raise exception 'notices are never deleted' using errcode = 'P0001'; end if;
      if old.status <> 'pending' and (new.title, new.content, new.shown_from, new.shown_to, new.kind, new.village_id, new.case_id)
         is distinct from (old.title, old.content, old.shown_from, old.shown_to, old.kind, old.village_id, old.case_id) then
        raise exception 'a published notice is never edited: withdraw it and publish a new one' using errcode = 'P0001';
      end if;
      if old.status = 'withdrawn' and new.status <> 'withdrawn' then raise exception 'a withdrawn notice stays withdrawn' using errcode = 'P0001'; end if;
      return new;
    end $$`.execute(db)
  await sql`create trigger notices_frozen before update or delete on notices for each row execute function notices_frozen()`.execute(db)

  // 异议: objections to a posting, recorded by the agent with their outcome.
  await db.schema
    .createTable('posting_objections')
    .addColumn('id', 'serial', (c) => c.primaryKey())
    .addColumn('notice_id', 'bigint', (c) => c.notNull().references('notices.id'))
    .addColumn('case_id', 'bigint', (c) => c.notNull().references('cases.id'))
    .addColumn('received_on', 'date', (c) => c.notNull())
    .addColumn('content', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text')
    .addColumn('resolved_on', 'date')
    .addColumn('recorded_by', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('resolved_by', 'integer', (c) => c.references('users.id'))
    .execute()
  await db.schema.createIndex('posting_objections_case_idx').on('posting_objections').column('case_id').execute()
}
