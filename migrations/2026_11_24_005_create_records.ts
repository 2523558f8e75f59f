import { Kysely, sql } from 'kysely'

export async function up(db: Kysely<any>): Promise<void> {
  // 接待登记: every visit, whether or not it became a case.
  await db.schema
    .createTable('visits')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('town_id', 'integer', (c) => c.notNull().references('towns.id'))
    .addColumn('village_id', 'integer', (c) => c.notNull().references('villages.id'))
    .addColumn('visited_at', 'timestamptz', (c) => c.notNull())
    .addColumn('visit_date', 'date', (c) => c.notNull())
    .addColumn('people', 'integer', (c) => c.notNull().check(sql`people between 1 and 200`))
    .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('consult','business','complaint','other')`))
    .addColumn('applicant_id', 'integer', (c) => c.references('applicants.id'))
    .addColumn('told', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('case_id', 'bigint', (c) => c.references('cases.id'))
    .addColumn('recorded_by', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await db.schema.createIndex('visits_village_date_idx').on('visits').columns(['village_id', 'visit_date']).execute()
  await db.schema.createIndex('visits_applicant_idx').on('visits').column('applicant_id').execute()
  await sql`create trigger visits_append_only before update or delete on visits for each row execute function forbid_change()`.execute(db)

  // 费用流水: immutable entries; a correction is a reversal naming the original.
  await db.schema
    .createTable('fee_entries')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('county_id', 'integer', (c) => c.notNull().references('counties.id'))
    .addColumn('town_id', 'integer', (c) => c.notNull().references('towns.id'))
    .addColumn('village_id', 'integer', (c) => c.notNull().references('villages.id'))
    .addColumn('serial', 'text', (c) => c.notNull().unique())
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('collect','refund','remit','reversal')`))
    // Signed effect on the station's cash: collect +, refund −, remit −, a reversal the opposite of its original.
    .addColumn('amount_fen', 'bigint', (c) => c.notNull().check(sql`amount_fen <> 0`))
    .addColumn('department', 'text', (c) => c.notNull())
    .addColumn('payer', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('case_id', 'bigint', (c) => c.references('cases.id'))
    .addColumn('applicant_id', 'integer', (c) => c.references('applicants.id'))
    .addColumn('reverses_id', 'bigint', (c) => c.unique().references('fee_entries.id'))
    .addColumn('note', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('entered_by', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('entered_at', 'timestamptz', (c) => c.notNull())
    .addColumn('prev_hash', 'text', (c) => c.notNull())
    .addColumn('hash', 'text', (c) => c.notNull().unique())
    .addUniqueConstraint('fee_entries_station_day_seq_key', ['village_id', 'day', 'seq'])
    .addCheckConstraint('fee_entries_reversal_names_original', sql`(kind = 'reversal') = (reverses_id is not null)`)
    .execute()
  await db.schema.createIndex('fee_entries_village_chain_idx').on('fee_entries').columns(['village_id', 'id']).execute()
  await db.schema.createIndex('fee_entries_village_day_idx').on('fee_entries').columns(['village_id', 'day']).execute()
  await db.schema.createIndex('fee_entries_applicant_idx').on('fee_entries').column('applicant_id').execute()
  await sql`create trigger fee_entries_append_only before update or delete on fee_entries for each row execute function forbid_change()`.execute(db)

  await db.schema
    .createTable('fee_counters')
    .addColumn('village_id', 'integer', (c) => c.notNull().references('villages.id'))
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('last_seq', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('fee_counters_pkey', ['village_id', 'day'])
    .execute()

  // 扎账: an agent's totals as often as wanted; the station's once per day, which closes the day.
  await db.schema
    .createTable('agent_settlements')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('village_id', 'integer', (c) => c.notNull().references('villages.id'))
    .addColumn('agent_id', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('totals', 'jsonb', (c) => c.notNull())
    .addColumn('total_fen', 'bigint', (c) => c.notNull())
    .addColumn('settled_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .execute()
  await sql`create trigger agent_settlements_append_only before update or delete on agent_settlements for each row execute function forbid_change()`.execute(db)

  await db.schema
    .createTable('station_settlements')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('village_id', 'integer', (c) => c.notNull().references('villages.id'))
    .addColumn('day', 'date', (c) => c.notNull())
    .addColumn('expected_fen', 'bigint', (c) => c.notNull())
    .addColumn('declared_fen', 'bigint', (c) => c.notNull())
    .addColumn('difference_fen', 'bigint', (c) => c.notNull())
    .addColumn('totals', 'jsonb', (c) => c.notNull())
    .addColumn('note', 'text', (c) => c.notNull().defaultTo(''))
    .addColumn('settled_by', 'integer', (c) => c.notNull().references('users.id'))
    .addColumn('settled_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('station_settlements_village_day_key', ['village_id', 'day'])
    .addCheckConstraint('station_settlements_difference', sql`difference_fen = declared_fen - expected_fen`)
    .execute()
  // A settled day is closed: the database itself refuses new entries and reversals on it.
  await sql`
    create function fee_day_open() returns trigger language plpgsql as $$
    begin
      if exists (select 1 from station_settlements s where s.village_id = new.village_id and s.day = new.day) then
        raise exception 'day % of station % is settled', new.day, new.village_id using errcode = 'P0002';
      end if;
      return new;
    end $$`.execute(db)
  await sql`create trigger fee_entries_day_open before insert on fee_entries for each row execute function fee_day_open()`.execute(db)
  await sql`create trigger station_settlements_append_only before update or delete on station_settlements for each row execute function forbid_change()`.execute(db)
}
