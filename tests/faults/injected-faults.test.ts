import t from 'tap'
import { randomUUID } from 'node:crypto'
import { sql } from 'kysely'
import { setupCaseWorld, type CaseWorld } from '../fixtures/cases.ts'
import { tableFingerprint } from '../fixtures/fingerprint.ts'
import type { Db } from '../../server/db/connect.ts'
import type { Actor } from '../../server/accounts/actor.ts'
import { findActor } from '../../server/accounts/users.repository.ts'
import { intakeCase, type IntakeInput } from '../../server/cases/intake.ts'
import { performAction } from '../../server/cases/transition.ts'
import { recordFee, settleStation } from '../../server/fees/fees.service.ts'
import { sweepDeadlines } from '../../server/jobs/deadline-sweep.ts'
import { loadCalendar } from '../../server/calendar/calendar.repository.ts'
import { verifyChain } from '../../server/ledger/chain.ts'
import { idCheckChar } from '../../server/applicants/id-number.ts'

/*
 * Deterministic faults: a trigger makes exactly one write of a transaction fail (each write in
 * turn), as a full disk or a dropped connection at that moment would. Nothing of the transaction
 * may remain, and the retry must complete it once. Unlike the SIGKILL test, which kills at a random
 * moment, this reaches every write of intake, a transition, a settlement and the sweep.
 */

let faults = 0
async function failing(db: Db, table: string, op: 'insert' | 'update', when = sql`true`) {
  await sql`create or replace function inject_fault() returns trigger language plpgsql as $$ begin if ${when} then raise exception 'injected fault'; end if; return new; end $$`.execute(db)
  await sql`create trigger inject_fault before ${sql.raw(op)} on ${sql.table(table)} for each row execute function inject_fault()`.execute(db)
  faults++
  return async () => {
    await sql`drop trigger inject_fault on ${sql.table(table)}`.execute(db)
  }
}

const MZ01 = ['书面申请', '居民身份证', '受灾情况说明']
let idSerial = 100
function intakeInput(matterId: number): IntakeInput {
  const first17 = `51078119800101${String(idSerial++).padStart(3, '0')}`
  return { idempotencyKey: randomUUID(), applicantId: null, applicant: { name: `村民${idSerial}`, idNumber: first17 + idCheckChar(first17), phone: '13912345678', villageGroup: '一组', address: '', vulnerable: 'none' }, matterId, channel: 'station', serviceForm: 'proxy', homeService: false, materialsReceived: MZ01, decision: 'decide', rejectReason: '', summary: '' }
}

async function actors(w: CaseWorld) {
  return { agent: (await findActor(w.db, w.agent.id))! as Actor, clerk: (await findActor(w.db, w.clerk.id))! as Actor }
}

t.test('intake: a fault at each of its writes leaves nothing; the retry with the same form creates the case once', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 10:00')
  const { agent } = await actors(w)
  const matterId = await w.matterId('MZ-01')
  await intakeCase(w.db, agent, intakeInput(matterId), '2026-03-02', new Date()) // the day's counter row exists: later intakes update it
  for (const [table, op] of [['applicants', 'insert'], ['case_counters', 'update'], ['cases', 'insert'], ['case_events', 'insert']] as const) {
    const input = intakeInput(matterId)
    const before = await tableFingerprint(w.db)
    const restore = await failing(w.db, table, op)
    await t.rejects(intakeCase(w.db, agent, input, '2026-03-02', new Date()), /injected fault/, `${op} into ${table} fails`)
    t.equal(await tableFingerprint(w.db), before, `${table}: nothing of the intake remains (no applicant, number, case or event)`)
    await restore()
    const done = await intakeCase(w.db, agent, input, '2026-03-02', new Date())
    t.equal(done.duplicate, false, `${table}: the retry creates the case`)
    t.equal((await w.db.selectFrom('cases').select('id').where('idempotencyKey', '=', input.idempotencyKey).execute()).length, 1, `${table}: once`)
  }
  const numbers = (await w.db.selectFrom('cases').select('caseNo').orderBy('caseNo').execute()).map((r) => Number(r.caseNo.slice(-3)))
  t.same(numbers, [1, 2, 3, 4, 5], 'case numbers stay gapless: a failed intake used none')
  t.equal((await verifyChain(w.db, 'case_events')).firstBreak, null, 'the chain holds')
})

t.test('a transition (reply with a bad rating): a fault at each write leaves the case as it was; the retry completes once', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 10:00')
  const { agent, clerk } = await actors(w)
  const matterId = await w.matterId('MZ-01')
  const window = String(w.org.windows.find((x) => x.townId === w.org.towns[0].id && x.department === 'civil_affairs')!.id)
  const completedCase = async () => {
    const c = await intakeCase(w.db, agent, intakeInput(matterId), '2026-03-02', new Date())
    await performAction(w.db, agent, c.caseId, 'forward', 1, { windowId: window, method: 'online' }, '2026-03-02', new Date())
    await performAction(w.db, clerk, c.caseId, 'receive', 2, {}, '2026-03-03', new Date())
    await performAction(w.db, clerk, c.caseId, 'complete', 3, { outcome: 'approved' }, '2026-03-04', new Date())
    return c.caseId
  }
  const reply = { how: 'phone', overall: 'very_dissatisfied', comment: '等了很久' }
  const control = await completedCase()
  await performAction(w.db, agent, control, 'reply', 4, reply, '2026-03-05', new Date())
  const written = async (caseId: string) => ({
    ratings: (await w.db.selectFrom('caseRatings').select('caseId').where('caseId', '=', caseId).execute()).length,
    rectifications: (await w.db.selectFrom('rectifications').select('id').where('caseId', '=', caseId).execute()).length,
    // The unit's staff are told of the rectification (its id in the notice's params).
    notifications: Number((await sql<{ n: string }>`select count(*) as n from notifications n join rectifications r on (n.params->>'id')::int = r.id where n.kind = 'rectification.opened' and r.case_id = ${caseId}`.execute(w.db)).rows[0].n),
    events: (await w.db.selectFrom('caseEvents').select('id').where('caseId', '=', caseId).where('action', '=', 'reply').execute()).length,
    stage: (await w.db.selectFrom('cases').select('stage').where('id', '=', caseId).executeTakeFirstOrThrow()).stage,
  })
  const expected = await written(control)
  t.same({ ...expected, notifications: expected.notifications > 0 }, { ratings: 1, rectifications: 1, notifications: true, events: 1, stage: 'closed' }, 'the control: closed with its rating, rectification, notices and event')

  for (const [table, op] of [['cases', 'update'], ['case_ratings', 'insert'], ['rectifications', 'insert'], ['rectification_events', 'insert'], ['notifications', 'insert'], ['case_events', 'insert']] as const) {
    const caseId = await completedCase()
    const before = await tableFingerprint(w.db)
    const restore = await failing(w.db, table, op)
    await t.rejects(performAction(w.db, agent, caseId, 'reply', 4, reply, '2026-03-05', new Date()), /injected fault/, `${op} on ${table} fails`)
    t.equal(await tableFingerprint(w.db), before, `${table}: nothing of the reply remains`)
    await restore()
    await performAction(w.db, agent, caseId, 'reply', 4, reply, '2026-03-05', new Date())
    t.same(await written(caseId), expected, `${table}: the retry writes it all, once`)
  }
  t.equal((await verifyChain(w.db, 'case_events')).firstBreak, null, 'the chain holds')
})

t.test('a settlement: a fault leaves the day open; the retry closes it once', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 10:00')
  const { agent } = await actors(w)
  await recordFee(w.db, agent, { kind: 'collect', amountFen: 28800n, department: 'broadcasting', payer: '张三', caseId: null, note: '' }, '2026-03-02', new Date())
  const before = await tableFingerprint(w.db)
  const restore = await failing(w.db, 'station_settlements', 'insert')
  await t.rejects(settleStation(w.db, agent, '2026-03-02', 28800n, ''), /injected fault/)
  t.equal(await tableFingerprint(w.db), before, 'nothing written; the day is still open')
  await recordFee(w.db, agent, { kind: 'collect', amountFen: 100n, department: 'broadcasting', payer: '李四', caseId: null, note: '' }, '2026-03-02', new Date())
  t.pass('entries can still be made on the open day')
  await restore()
  const result = await settleStation(w.db, agent, '2026-03-02', 28900n, '')
  t.equal(result.difference, 0n)
  t.equal((await w.db.selectFrom('stationSettlements').select('id').execute()).length, 1, 'one settlement')
  await t.rejects(settleStation(w.db, agent, '2026-03-02', 28900n, ''), /fees.daySettled/, 'and the day is closed')
})

t.test("the sweep: a fault at one case's notifications leaves that case untouched; the rerun notifies each person once", async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00')
  const { agent } = await actors(w)
  const matterId = await w.matterId('MZ-01')
  const ids: string[] = []
  for (let i = 0; i < 3; i++) ids.push((await intakeCase(w.db, agent, intakeInput(matterId), '2026-02-13', new Date())).caseId)
  const [, second] = ids
  const calendar = await loadCalendar(w.db)
  const restore = await failing(w.db, 'notifications', 'insert', sql`new.case_id = ${sql.lit(Number(second))}`)
  await t.rejects(sweepDeadlines(w.db, calendar, '2026-02-26', new Date()), /injected fault/)
  const alerts = async (id: string) => (await w.db.selectFrom('caseAlerts').select('level').where('caseId', '=', id).execute()).length
  t.equal(await alerts(ids[0]), 1, 'the case before the fault is done')
  t.equal(await alerts(second), 0, 'the failing case has no alert')
  t.equal((await w.db.selectFrom('caseEvents').select('id').where('caseId', '=', second).where('actorRole', '=', 'system').execute()).length, 0, 'and no event')
  t.equal((await w.db.selectFrom('notifications').select('id').where('caseId', '=', second).execute()).length, 0, 'and no notification')
  await restore()
  t.equal(await sweepDeadlines(w.db, calendar, '2026-02-26', new Date()), 2, 'the rerun does the other two')
  t.equal(await sweepDeadlines(w.db, calendar, '2026-02-26', new Date()), 0, 'and a third run nothing')
  const repeated = await sql<{ n: string }>`select count(*) as n from (select user_id, case_id, kind from notifications group by 1, 2, 3 having count(*) > 1) x`.execute(w.db)
  t.equal(Number(repeated.rows[0].n), 0, 'nobody is told twice about one case')
  for (const id of ids) t.equal(await alerts(id), 1, `case ${id}: one alert`)
  t.comment(`${faults} faults injected in this file`)
})
