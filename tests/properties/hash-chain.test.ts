import t, { type Test } from 'tap'
import fc from 'fast-check'
import { randomUUID } from 'node:crypto'
import { sql, type RawBuilder } from 'kysely'
import { canonicalJson, caseEventContent, feeEntryContent, verifyChain, type ChainReport, type ChainTable } from '../../server/ledger/chain.ts'
import { intakeCase, type IntakeInput } from '../../server/cases/intake.ts'
import { performAction } from '../../server/cases/transition.ts'
import { appendEvent } from '../../server/cases/case-events.ts'
import type { Action } from '../../server/cases/actions/registry.ts'
import { recordFee, reverseFee } from '../../server/fees/fees.service.ts'
import { findActor } from '../../server/accounts/users.repository.ts'
import type { Actor } from '../../server/accounts/actor.ts'
import { importCatalogue } from '../../server/matters/matters.service.ts'
import { findMatterByCode } from '../../server/matters/matters.repository.ts'
import { demoCatalogue } from '../../server/demo/matters.ts'
import type { Db } from '../../server/db/connect.ts'
import { createTestDatabase } from '../fixtures/database.ts'
import { makeOrg, makeUser } from '../fixtures/factories.ts'
import { APPLICANT } from '../fixtures/cases.ts'
import { testConfig } from '../fixtures/app.ts'
import { useIdVault } from '../../server/privacy/id-vault.ts'

// Intake without an app: ID numbers are sealed under the test keyring.
useIdVault(testConfig().piiKeyFile)

/*
 * The ledger's hash chains (server/ledger/chain.ts) against an insider with SQL access: every
 * hashed column of case_events and fee_entries is edited behind the application's back (the
 * append-only trigger disabled, as an insider would), one at a time, inside a transaction that is
 * rolled back, so each edit starts from the same intact chains.
 */

const SEED = 20261115
// About 10 s alone; the 30 s default is too tight while the whole suite shares two cores.
t.setTimeout(120_000)
let total = 0
async function check<T>(t: Test, name: string, property: fc.IAsyncProperty<T>, numRuns: number) {
  await fc.assert(property, { seed: SEED, numRuns })
  total += numRuns
  t.pass(`${name}: ${numRuns} runs`)
}

const snake = (s: string) => s.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)
const hashedColumns = (content: object) => Object.keys(content).filter((k) => k !== 'table').map(snake).sort()

const ROLLBACK = new Error('rollback')
/** Runs `edit` with the table's append-only trigger off, verifies, and rolls everything back. */
async function whileTampered(db: Db, table: ChainTable, edit: (trx: Db) => Promise<unknown>): Promise<ChainReport> {
  let report: ChainReport | undefined
  try {
    await db.transaction().execute(async (trx) => {
      await sql`alter table ${sql.table(table)} disable trigger ${sql.raw(`${table}_append_only`)}`.execute(trx)
      await edit(trx)
      report = await verifyChain(trx, table)
      throw ROLLBACK
    })
  } catch (error) {
    if (error !== ROLLBACK) throw error
  }
  return report!
}
const setColumn = (table: ChainTable, column: string, value: unknown, id: string) => (trx: Db) => sql`update ${sql.table(table)} set ${sql.ref(column)} = ${value} where id = ${id}`.execute(trx)
const setExpression = (table: ChainTable, assignment: RawBuilder<unknown>, id: string) => (trx: Db) => sql`update ${sql.table(table)} set ${assignment} where id = ${id}`.execute(trx)
/** Swaps the ids of two rows: the same contents in the other order. */
const swapIds = (table: ChainTable, a: string, b: string) => async (trx: Db) => {
  await sql`update ${sql.table(table)} set id = -1 where id = ${a}`.execute(trx)
  await sql`update ${sql.table(table)} set id = ${a} where id = ${b}`.execute(trx)
  await sql`update ${sql.table(table)} set id = ${b} where id = -1`.execute(trx)
}
const deleteRows = (table: ChainTable, ids: string[]) => (trx: Db) => sql`delete from ${sql.table(table)} where id in (${sql.join(ids)})`.execute(trx)

// Free-form values an insider might write; PostgreSQL text holds no NUL.
const text = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 12 }).filter((s) => !s.includes('\u0000'))
const millis = fc.integer({ min: -1e9, max: 1e9 }).filter((n) => n !== 0)

t.test('hash chains of case events and fee entries', async (t) => {
  const { db } = await createTestDatabase(t)
  const org = await makeOrg(db, ['civil_affairs', 'labour'])
  const otherCounty = await makeOrg(db, ['civil_affairs'])
  await importCatalogue(db, null, org.countyId, demoCatalogue(), { demo: true })
  const matterId = (await findMatterByCode(db, org.countyId, 'MZ-01'))!.matterId
  const civilWindow = org.windows.find((w) => w.townId === org.towns[0].id && w.department === 'civil_affairs')!.id
  const actor = async (id: number): Promise<Actor> => (await findActor(db, id))!
  const agent = await actor((await makeUser(db, org, 'agent', { villageId: org.villages[0].id })).id)
  const otherAgent = await actor((await makeUser(db, org, 'agent', { villageId: org.villages[2].id })).id)
  const clerk = await actor((await makeUser(db, org, 'clerk', { windowId: civilWindow })).id)
  const [station, emptyStation] = [org.villages[0].id, org.villages[1].id]

  // Station 1: two cases and their steps, one event by a job; station 3: one case.
  const intake = (who: Actor, fields: Partial<IntakeInput['applicant']>, decision: IntakeInput['decision']) =>
    intakeCase(db, who, {
      idempotencyKey: randomUUID(), applicantId: null, applicant: { ...APPLICANT, vulnerable: 'none', ...fields }, matterId, channel: 'station', serviceForm: 'proxy',
      homeService: false, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'], decision, rejectReason: '', summary: '房屋受损',
    }, '2026-03-02', new Date())
  const first = (await intake(agent, {}, 'decide')).caseId
  const second = (await intake(agent, { name: '李四', idNumber: '', phone: '13700000000' }, 'register')).caseId
  await intake(otherAgent, { idNumber: '440524198001010013' }, 'decide')
  const step = async (who: Actor, action: Action, input: Record<string, string>, today: string) => {
    const { version } = await db.selectFrom('cases').select('version').where('id', '=', first).executeTakeFirstOrThrow()
    await performAction(db, who, first, action, version, input, today, new Date())
  }
  await step(agent, 'forward', { windowId: String(civilWindow), method: 'online', note: '已报送' }, '2026-03-02')
  await step(clerk, 'receive', {}, '2026-03-03')
  await step(clerk, 'pause', { reason: '等待村委会签章' }, '2026-03-04')
  await db.transaction().execute((trx) => appendEvent(trx, { id: null, role: 'system', countyId: org.countyId }, { id: second, villageId: station }, 'reminded', 'registered', 'registered', '', { reminder: 1 }, new Date()))
  await step(clerk, 'resume', { note: '已补正' }, '2026-03-09')

  // Fees at station 1: one tied to a case (and so to its applicant), a refund, a remittance, a reversal.
  const fee = (kind: 'collect' | 'refund' | 'remit', fen: bigint, extra: { caseId?: string; payer?: string } = {}) =>
    recordFee(db, agent, { kind, amountFen: fen, department: 'civil_affairs', payer: extra.payer ?? '', caseId: extra.caseId ?? null, note: '' }, '2026-03-02', new Date())
  await fee('collect', 1500n, { caseId: first, payer: '张小三' })
  const refund = await fee('refund', 200n)
  await fee('remit', 1000n)
  await reverseFee(db, agent, refund.id, '退错了', '2026-03-02', new Date())
  await fee('collect', 300n, { payer: '王五' })
  await recordFee(db, otherAgent, { kind: 'collect', amountFen: 100n, department: 'labour', payer: '', caseId: null, note: '' }, '2026-03-02', new Date())

  const events = await db.selectFrom('caseEvents').selectAll().where('villageId', '=', station).orderBy('id').execute()
  const fees = await db.selectFrom('feeEntries').selectAll().where('villageId', '=', station).orderBy('id').execute()
  const intact = { events: await verifyChain(db, 'case_events'), fees: await verifyChain(db, 'fee_entries') }
  t.same({ rows: intact.events.rows, stations: intact.events.stations, firstBreak: intact.events.firstBreak }, { rows: events.length + 1, stations: 2, firstBreak: null }, 'the case-event chains are intact')
  t.same({ rows: intact.fees.rows, stations: intact.fees.stations, firstBreak: intact.fees.firstBreak }, { rows: fees.length + 1, stations: 2, firstBreak: null }, 'the fee chains are intact')
  t.equal(events.length, 7)
  t.equal(fees.length, 5)
  const breakAt = (table: ChainTable, rowId: string, reason: 'content' | 'link' = 'content', villageId = station) => ({ table, villageId, rowId, reason })

  await t.test('every column is hashed but the id, the hashes, and fee_entries.town_id', async (t) => {
    const columns = async (table: string) =>
      (await sql<{ columnName: string }>`select column_name from information_schema.columns where table_name = ${table} and table_schema = current_schema()`.execute(db)).rows.map((r) => r.columnName).sort()
    const caseHashed = hashedColumns(caseEventContent(events[0] as never))
    const feeHashed = hashedColumns(feeEntryContent(fees[0] as never))
    t.same(await columns('case_events'), [...caseHashed, 'hash', 'id', 'prev_hash'].sort())
    // town_id is written with every entry but not hashed: an edit of it goes unseen (asserted below).
    // Nothing reads it today (fee pages filter by village); a town-level fee report must not trust it.
    t.same(await columns('fee_entries'), [...feeHashed, 'hash', 'id', 'prev_hash', 'town_id'].sort())
  })

  await t.test('an edit of any hashed column of a case event breaks the chain at that row', async (t) => {
    const target = events[3]
    t.equal(target.action, 'receive')
    const edits: Record<string, RawBuilder<unknown>> = {
      county_id: sql`county_id = ${otherCounty.countyId}`,
      case_id: sql`case_id = ${second}`,
      actor_id: sql`actor_id = ${agent.id}`,
      actor_role: sql`actor_role = 'supervisor'`,
      action: sql`action = 'reject'`,
      from_stage: sql`from_stage = null`,
      to_stage: sql`to_stage = 'rejected'`,
      note: sql`note = '已收件'`,
      data: sql`data = '{"late": false}'::jsonb`,
      at: sql`at = at + interval '1 second'`,
    }
    t.same([...Object.keys(edits), 'village_id'].sort(), hashedColumns(caseEventContent(target as never)), 'the table covers every hashed column')
    for (const [column, assignment] of Object.entries(edits)) {
      const report = await whileTampered(db, 'case_events', setExpression('case_events', assignment, target.id))
      t.same(report.firstBreak, breakAt('case_events', target.id), column)
    }
    // Moved to another station, the row leaves its own chain: the next row no longer links.
    t.same((await whileTampered(db, 'case_events', setColumn('case_events', 'village_id', emptyStation, target.id))).firstBreak, breakAt('case_events', events[4].id, 'link'), 'village_id')
    t.same((await whileTampered(db, 'case_events', setColumn('case_events', 'hash', '0'.repeat(64), target.id))).firstBreak, breakAt('case_events', target.id), 'hash')
    t.same((await whileTampered(db, 'case_events', setColumn('case_events', 'prev_hash', events[1].hash, target.id))).firstBreak, breakAt('case_events', target.id, 'link'), 'prev_hash')
    // The hash covers `at` as JavaScript reads it, to the millisecond: a microsecond edit is not seen.
    t.same((await whileTampered(db, 'case_events', setExpression('case_events', sql`at = at + interval '1 microsecond'`, target.id))).firstBreak, null, 'at, below a millisecond')
  })

  await t.test('an edit of any hashed column of a fee entry breaks the chain at that row', async (t) => {
    const target = fees[0]
    const reversal = fees.find((f) => f.kind === 'reversal')!
    t.ok(target.caseId && target.applicantId && target.payer, 'the target names a case, an applicant and a payer')
    const edits: Record<string, RawBuilder<unknown>> = {
      county_id: sql`county_id = ${otherCounty.countyId}`,
      serial: sql`serial = serial || 'A'`,
      day: sql`day = '2026-03-01'`,
      seq: sql`seq = 99`,
      kind: sql`kind = 'refund'`,
      amount_fen: sql`amount_fen = 15000`,
      department: sql`department = 'labour'`,
      payer: sql`payer = '张小二'`,
      case_id: sql`case_id = ${second}`,
      applicant_id: sql`applicant_id = null`,
      note: sql`note = '现金'`,
      entered_by: sql`entered_by = ${otherAgent.id}`,
      entered_at: sql`entered_at = entered_at - interval '1 hour'`,
    }
    t.same([...Object.keys(edits), 'reverses_id', 'village_id'].sort(), hashedColumns(feeEntryContent(target as never)), 'the table covers every hashed column')
    for (const [column, assignment] of Object.entries(edits)) {
      const report = await whileTampered(db, 'fee_entries', setExpression('fee_entries', assignment, target.id))
      t.same(report.firstBreak, breakAt('fee_entries', target.id), column)
    }
    // Only a reversal names another entry: point it at a different one.
    t.same((await whileTampered(db, 'fee_entries', setColumn('fee_entries', 'reverses_id', fees[2].id, reversal.id))).firstBreak, breakAt('fee_entries', reversal.id), 'reverses_id')
    t.same((await whileTampered(db, 'fee_entries', setColumn('fee_entries', 'village_id', emptyStation, target.id))).firstBreak, breakAt('fee_entries', fees[1].id, 'link'), 'village_id')
    t.same((await whileTampered(db, 'fee_entries', setColumn('fee_entries', 'hash', '0'.repeat(64), target.id))).firstBreak, breakAt('fee_entries', target.id), 'hash')
    t.same((await whileTampered(db, 'fee_entries', setColumn('fee_entries', 'prev_hash', fees[2].hash, target.id))).firstBreak, breakAt('fee_entries', target.id, 'link'), 'prev_hash')
    t.same((await whileTampered(db, 'fee_entries', setColumn('fee_entries', 'town_id', org.towns[1].id, target.id))).firstBreak, null, 'town_id is not hashed: the edit goes unseen')
  })

  await t.test('random edits of any row: the first break is that row', async (t) => {
    const eventEdit = fc.oneof(
      fc.record({ column: fc.constantFrom('note', 'action', 'actor_role', 'from_stage', 'to_stage'), value: text as fc.Arbitrary<unknown> }),
      fc.record({ column: fc.constant('data'), value: fc.dictionary(text, fc.oneof(text, fc.integer(), fc.boolean(), fc.constant(null)), { minKeys: 1, maxKeys: 3 }) as fc.Arbitrary<unknown> }),
      fc.record({ column: fc.constant('at'), value: millis as fc.Arbitrary<unknown> }),
    )
    await check(t, 'case_events: any row, a free-form column, any new value', fc.asyncProperty(fc.nat(events.length - 1), eventEdit, async (i, { column, value }) => {
      const row = events[i]
      const old = (row as Record<string, unknown>)[column.replace(/_(.)/g, (_, c: string) => c.toUpperCase())]
      fc.pre(column === 'data' ? canonicalJson(value) !== canonicalJson(old) : value !== old)
      const assignment = column === 'data' ? sql`data = ${JSON.stringify(value)}::jsonb` : column === 'at' ? sql`at = ${new Date(row.at.getTime() + (value as number))}` : sql`${sql.ref(column)} = ${value}`
      const report = await whileTampered(db, 'case_events', setExpression('case_events', assignment, row.id))
      if (JSON.stringify(report.firstBreak) !== JSON.stringify(breakAt('case_events', row.id))) throw new Error(`first break ${JSON.stringify(report.firstBreak)}`)
    }), 60)
    const feeEdit = fc.oneof(
      fc.record({ column: fc.constantFrom('note', 'payer', 'department'), value: text as fc.Arbitrary<unknown> }),
      fc.record({ column: fc.constant('serial'), value: text.map((s) => `X${s}`) as fc.Arbitrary<unknown> }),
      fc.record({ column: fc.constant('amount_fen'), value: fc.bigInt({ min: -(10n ** 12n), max: 10n ** 12n }).filter((n) => n !== 0n).map(String) as fc.Arbitrary<unknown> }),
      fc.record({ column: fc.constant('seq'), value: fc.integer({ min: 100, max: 9999 }) as fc.Arbitrary<unknown> }),
      fc.record({ column: fc.constant('entered_at'), value: millis as fc.Arbitrary<unknown> }),
    )
    await check(t, 'fee_entries: any row, a free-form column, any new value', fc.asyncProperty(fc.nat(fees.length - 1), feeEdit, async (i, { column, value }) => {
      const row = fees[i]
      const old = (row as Record<string, unknown>)[column.replace(/_(.)/g, (_, c: string) => c.toUpperCase())]
      fc.pre(value !== old)
      const assignment = column === 'entered_at' ? sql`entered_at = ${new Date(row.enteredAt.getTime() + (value as number))}` : sql`${sql.ref(column)} = ${value}`
      const report = await whileTampered(db, 'fee_entries', setExpression('fee_entries', assignment, row.id))
      if (JSON.stringify(report.firstBreak) !== JSON.stringify(breakAt('fee_entries', row.id))) throw new Error(`first break ${JSON.stringify(report.firstBreak)}`)
    }), 60)
  })

  await t.test('reordering and deleting rows', async (t) => {
    const pair = (n: number, allowed: (i: number) => boolean = () => true) =>
      fc.tuple(fc.nat(n - 1), fc.nat(n - 1)).filter(([a, b]) => a < b && allowed(a) && allowed(b))
    await check(t, 'case_events: two rows swapped: the first break is the earlier position, a broken link', fc.asyncProperty(pair(events.length), async ([a, b]) => {
      const report = await whileTampered(db, 'case_events', swapIds('case_events', events[a].id, events[b].id))
      if (JSON.stringify(report.firstBreak) !== JSON.stringify(breakAt('case_events', events[a].id, 'link'))) throw new Error(`first break ${JSON.stringify(report.firstBreak)}`)
    }), 15)
    // The reversal's original cannot change id (the reversal's foreign key holds it).
    const referenced = fees.findIndex((f) => f.id === fees.find((r) => r.kind === 'reversal')!.reversesId)
    await check(t, 'fee_entries: two rows swapped: the first break is the earlier position, a broken link', fc.asyncProperty(pair(fees.length, (i) => i !== referenced), async ([a, b]) => {
      const report = await whileTampered(db, 'fee_entries', swapIds('fee_entries', fees[a].id, fees[b].id))
      if (JSON.stringify(report.firstBreak) !== JSON.stringify(breakAt('fee_entries', fees[a].id, 'link'))) throw new Error(`first break ${JSON.stringify(report.firstBreak)}`)
    }), 8)

    for (const [table, rows] of [['case_events', events], ['fee_entries', fees]] as const) {
      for (let i = 0; i < rows.length - 1; i++) {
        if (table === 'fee_entries' && i === referenced) continue
        const report = await whileTampered(db, table, deleteRows(table, [rows[i].id]))
        t.same(report.firstBreak, breakAt(table, rows[i + 1].id, 'link'), `${table}: row ${i + 1} of ${rows.length} deleted, the next one no longer links`)
      }
    }
  })

  await t.test('truncation: the last rows of a chain deleted are NOT detected', async (t) => {
    /*
     * Each row is checked only against the rows before it, so cutting the end of a chain leaves a
     * shorter chain that is perfectly valid: verifyChain reports no break, only fewer rows.
     * Detecting it needs something the chain does not hold: the station's head (last hash and
     * row count) anchored outside the insider's reach, e.g. printed on the day's settlement slip
     * that the agent signs, sent to the county or another server, or published; verification
     * then checks that the chain still reaches that head. Counters in the same database
     * (fee_counters.last_seq, cases.version) show the gap below, but an insider who can disable a
     * trigger can rewrite them too, so they are a cross-check, not an anchor.
     */
    for (const k of [1, 2, 3]) {
      const report = await whileTampered(db, 'case_events', deleteRows('case_events', events.slice(-k).map((e) => e.id)))
      t.same({ rows: report.rows, firstBreak: report.firstBreak }, { rows: intact.events.rows - k, firstBreak: null }, `case_events: last ${k} of station 1 deleted, no break reported`)
      const feeReport = await whileTampered(db, 'fee_entries', deleteRows('fee_entries', fees.slice(-k).map((f) => f.id)))
      t.same({ rows: feeReport.rows, firstBreak: feeReport.firstBreak }, { rows: intact.fees.rows - k, firstBreak: null }, `fee_entries: last ${k} of station 1 deleted, no break reported`)
    }
    // What the database itself still knows after the last fee entry and the last case event are gone.
    let gaps: { lastSeq: number; maxSeq: number; version: number; events: number } | undefined
    try {
      await db.transaction().execute(async (trx) => {
        await sql`alter table fee_entries disable trigger fee_entries_append_only`.execute(trx)
        await sql`alter table case_events disable trigger case_events_append_only`.execute(trx)
        await deleteRows('fee_entries', [fees.at(-1)!.id])(trx)
        await deleteRows('case_events', [events.at(-1)!.id])(trx)
        const counter = await trx.selectFrom('feeCounters').select('lastSeq').where('villageId', '=', station).where('day', '=', '2026-03-02').executeTakeFirstOrThrow()
        const maxSeq = await trx.selectFrom('feeEntries').select((eb) => eb.fn.max('seq').as('maxSeq')).where('villageId', '=', station).where('day', '=', '2026-03-02').executeTakeFirstOrThrow()
        const c = await trx.selectFrom('cases').select('version').where('id', '=', first).executeTakeFirstOrThrow()
        const n = await trx.selectFrom('caseEvents').select((eb) => eb.fn.countAll<string>().as('n')).where('caseId', '=', first).executeTakeFirstOrThrow()
        gaps = { lastSeq: counter.lastSeq, maxSeq: Number(maxSeq.maxSeq), version: c.version, events: Number(n.n) }
        throw ROLLBACK
      })
    } catch (error) {
      if (error !== ROLLBACK) throw error
    }
    t.same(gaps, { lastSeq: 5, maxSeq: 4, version: 5, events: 4 }, 'the day counter says 5 entries, 4 are left; the case is at version 5 (one event per version), 4 events are left')
  })

  t.same((await verifyChain(db, 'case_events')).firstBreak, null, 'every edit was rolled back')
  t.same((await verifyChain(db, 'fee_entries')).firstBreak, null, 'every edit was rolled back')
})

t.after(() => t.comment(`${total} property runs in all, seed ${SEED}`))
