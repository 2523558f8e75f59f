import t from 'tap'
import { sql } from 'kysely'
import { createTestDatabase } from '../fixtures/database.ts'
import { frequentRevealers } from '../../server/privacy/access-history.ts'
import { testConfig } from '../fixtures/app.ts'
import { useIdVault } from '../../server/privacy/id-vault.ts'
import { seedDemoIfEmpty } from '../../server/demo/seed.ts'
import { verifyChain } from '../../server/ledger/chain.ts'
import { loadCalendar } from '../../server/calendar/calendar.repository.ts'
import { stageStatus } from '../../server/cases/case-deadlines.ts'
import type { Db } from '../../server/db/connect.ts'

// A Thursday in late November: the history runs from late August, over the National Day holidays.
const NOW = new Date('2026-11-26T10:00:00+08:00')
const TODAY = '2026-11-26'

// Two seeds of ~10 s each, side by side; a loaded machine takes longer than tap's 30 s per file.
t.setTimeout(300_000)

const count = async (db: Db, table: string, where = sql`true`) => Number((await sql<{ n: string }>`select count(*) as n from ${sql.table(table)} where ${where}`.execute(db)).rows[0].n)

useIdVault(testConfig().piiKeyFile)

t.test('the demo county has three months of history: every stage, late cases, ratings, postings, records and notices', async (t) => {
  const [first, second] = await Promise.all([createTestDatabase(t), createTestDatabase(t)])
  const [seeded, again] = await Promise.all([seedDemoIfEmpty(first.db, { now: NOW }), seedDemoIfEmpty(second.db, { now: NOW })])
  const history = seeded!.history!
  const db = first.db
  t.same(history.refused, [], 'no planned step was refused by the rules')
  t.ok(history.cases >= 200 && history.cases <= 600, `a few hundred cases (${history.cases})`)
  t.comment(`${history.cases} cases, ${history.steps} steps, ${history.visits} visits, ${history.feeEntries} fee entries`)

  const stages = new Map((await db.selectFrom('cases').select(['stage']).select((eb) => eb.fn.countAll<string>().as('n')).groupBy('stage').execute()).map((r) => [r.stage, Number(r.n)]))
  for (const stage of ['registered', 'awaiting_materials', 'accepted', 'forwarded', 'in_progress', 'completed', 'replied', 'closed', 'withdrawn', 'rejected'] as const) {
    t.ok((stages.get(stage) ?? 0) > 0, `a case in stage ${stage} (${stages.get(stage) ?? 0})`)
  }
  t.ok(await count(db, 'cases', sql`deemed_approved`), 'a deemed-approved case')
  t.ok(await count(db, 'cases', sql`stage = 'rejected' and outcome_reason like '%本人%'`), 'a matter refused at intake because it cannot be proxied')
  t.ok(await count(db, 'case_events', sql`action = 'intake' and to_stage = 'awaiting_materials' and jsonb_array_length(data->'missing') > 0`), 'a one-time notice lists missing materials')
  t.ok(await count(db, 'case_assists', sql`answer is null`), 'an open assistance request')
  t.ok(await count(db, 'case_assists', sql`answer is not null`), 'an answered one')
  t.ok(await count(db, 'case_extensions', sql`status = 'pending'`), 'an extension waiting for approval')
  t.ok(await count(db, 'case_extensions', sql`status = 'approved'`), 'an approved extension')

  const calendar = await loadCalendar(db)
  const open = await db.selectFrom('cases').select(['dueOn', 'dueLimit']).where('dueOn', 'is not', null).where('dueLimit', 'is not', null).execute()
  const statuses = new Set(open.map((c) => stageStatus(calendar, c.dueOn!, c.dueLimit!, TODAY)))
  for (const status of ['on_time', 'due_soon', 'overdue', 'very_overdue'] as const) t.ok(statuses.has(status), `an open stage ${status}`)
  t.ok(await count(db, 'case_alerts', sql`level = 'very_overdue'`), 'the sweep has written alerts')
  t.ok(await count(db, 'job_runs', sql`job = 'deadline-sweep' and error is null`), 'and its run is listed')

  t.ok(await count(db, 'case_ratings', sql`overall in ('dissatisfied', 'very_dissatisfied')`), 'bad ratings')
  t.ok(await count(db, 'case_ratings', sql`overall = 'very_satisfied'`), 'good ratings')
  t.ok(await count(db, 'rectifications', sql`status = 'open'`), 'an open rectification')
  t.ok(await count(db, 'notices', sql`kind = 'posting' and status = 'published' and posting_closed_on is null and shown_to >= ${TODAY}`), 'a posting inside its objection period')
  t.ok(await count(db, 'posting_objections', sql`outcome is null`), 'with an objection')
  t.ok(await count(db, 'notices', sql`kind = 'monthly_list' and status = 'published' and month = '2026-10'`), "last month's case list is published")
  t.ok(await count(db, 'notices', sql`kind = 'announcement' and status = 'withdrawn'`), 'a withdrawn announcement')
  t.ok(await count(db, 'notices', sql`kind = 'announcement' and replaces_id is not null`), 'and its replacement')
  t.ok(await count(db, 'visits', sql`case_id is not null`), 'visits that became cases')
  t.ok(await count(db, 'visits', sql`case_id is null and purpose = 'consult'`), 'visits answered on the spot')
  t.ok(await count(db, 'fee_entries', sql`kind = 'reversal'`), 'a fee reversal')
  t.ok(await count(db, 'station_settlements'), 'a settled day')
  t.ok(await count(db, 'station_settlements', sql`difference_fen <> 0 and note <> ''`), 'one with a difference explained')
  t.ok(await count(db, 'sms_outbox', sql`status = 'sent' and sent_at < ${NOW}`), 'texts of past days, sent then')
  t.equal(await count(db, 'sms_outbox', sql`status = 'pending' and created_at < ${new Date('2026-11-25T16:00:00Z')}`), 0, 'none of them left for the real sender to send now')

  // Dated in the past, in time order, by the domain functions: the chains verify.
  const events = await db.selectFrom('caseEvents').select([sql<string>`min(at)`.as('first'), sql<string>`max(at)`.as('last')]).executeTakeFirstOrThrow()
  t.ok(new Date(events.first) >= new Date('2026-08-27T00:00:00+08:00') && new Date(events.last) <= NOW, 'events lie in the three months before now')
  const outOfOrder = await sql<{ n: string }>`select count(*) as n from (select at < lag(at) over (partition by village_id order by id) as back from case_events) x where back`.execute(db)
  t.equal(Number(outOfOrder.rows[0].n), 0, "each station's events are in time order")
  for (const table of ['case_events', 'fee_entries'] as const) {
    const report = await verifyChain(db, table)
    t.equal(report.firstBreak, null, `${table}: ${report.rows} rows, chains intact`)
  }
  const sharedFiles = await sql<{ n: string }>`select count(*) as n from (select applicant_id from cases group by applicant_id having count(*) > 1) x`.execute(db)
  t.ok(Number(sharedFiles.rows[0].n) > 10, 'people with several cases (person files)')

  // Deterministic: the same "now" makes the same county.
  const digest = (d: Db) => d.selectFrom('cases').innerJoin('applicants', 'applicants.id', 'cases.applicantId').select(['caseNo', 'stage', 'applicants.name', 'dueOn']).orderBy('caseNo').execute()
  // The record of who saw whose data is not empty: the unusual-access page finds the clerk's afternoon.
  const countyId = (await db.selectFrom('counties').select('id').executeTakeFirstOrThrow()).id
  const heavy = await frequentRevealers(db, { kind: 'county', countyId }, {}, 'Asia/Shanghai', 20)
  const townSupervisor = await db.selectFrom('users').select('id').where('username', '=', 'jp.sup').executeTakeFirstOrThrow()
  t.same(heavy.map((r) => [r.actorId, r.applicants]), [[townSupervisor.id, 24]], 'one heavy revealer in the demo county: the supervisor who looked at 24 people in an afternoon')
  t.ok(await count(db, 'personal_data_access', sql`kind = 'export'`), 'an export is on record')
  t.ok(await count(db, 'personal_data_access', sql`kind = 'report'`), 'an access report is on record')
  t.same(await digest(second.db), await digest(db), 'a second seed with the same clock makes the same cases')
  t.equal(again!.history!.cases, history.cases)

  t.equal(await seedDemoIfEmpty(db, { now: NOW }), null, 'a database with data is left alone')
})
