import t from 'tap'
import { sql } from 'kysely'
import { setupCaseWorld, loggedIn } from '../fixtures/cases.ts'
import { findActor } from '../../server/accounts/users.repository.ts'
import { recordFee, reverseFee, settleStation, settleAgent, formatSerial } from '../../server/fees/fees.service.ts'
import { dailyReport } from '../../server/fees/fees.repository.ts'

/** Matches a refused business rule by its message key. */
const rule = (key: string) => ({ key }) as unknown as Error

t.test('money sums are exact to the fen over many entries', async (t) => {
  const w = await setupCaseWorld(t)
  const agent = (await findActor(w.db, w.agent.id))!
  // Amounts that go wrong in floating point: 0.1 + 0.2 and friends, many times.
  const amounts = Array.from({ length: 300 }, (_, i) => [10n, 20n, 30n, 1n, 99999999n, 7n][i % 6])
  let expectedCollected = 0n
  for (const [i, amount] of amounts.entries()) {
    const kind = i % 10 === 0 ? 'refund' : 'collect'
    await recordFee(w.db, agent, { kind, amountFen: amount, department: i % 2 ? 'labour' : 'civil_affairs', payer: `村民${i}`, caseId: null, note: '' }, '2026-02-13', new Date())
    expectedCollected += kind === 'collect' ? amount : -amount
  }
  const rows = await dailyReport(w.db, w.org.villages[0].id, '2026-02-13', '2026-02-13')
  const net = rows.reduce((s, r) => s + BigInt(r.net), 0n)
  t.equal(net, expectedCollected, `net ${net} fen`)
  const settled = await settleStation(w.db, agent, '2026-02-13', expectedCollected, '')
  t.equal(settled.difference, 0n)
  t.equal(settled.expected, expectedCollected)
})

t.test('serial numbers: unique per station per day, gapless under concurrency', async (t) => {
  const w = await setupCaseWorld(t)
  const agent = (await findActor(w.db, w.agent.id))!
  const results = await Promise.all(Array.from({ length: 20 }, (_, i) => recordFee(w.db, agent, { kind: 'collect', amountFen: BigInt(100 + i), department: 'labour', payer: '', caseId: null, note: '' }, '2026-02-13', new Date())))
  const seqs = results.map((r) => Number(r.serial.split('-').pop())).sort((a, b) => a - b)
  t.same(seqs, Array.from({ length: 20 }, (_, i) => i + 1))
  t.equal(results[0].serial.length, formatSerial(w.org.villages[0].code, '2026-02-13', 1).length)
  const next = await recordFee(w.db, agent, { kind: 'collect', amountFen: 1n, department: 'labour', payer: '', caseId: null, note: '' }, '2026-02-14', new Date())
  t.match(next.serial, /-20260214-0001$/, 'a new day starts at 0001')
})

t.test('reversal rules: same day, before settlement, at most once, never of a reversal', async (t) => {
  const w = await setupCaseWorld(t)
  const agent = (await findActor(w.db, w.agent.id))!
  const other = (await findActor(w.db, w.otherAgent.id))!
  const yesterday = await recordFee(w.db, agent, { kind: 'collect', amountFen: 500n, department: 'labour', payer: '', caseId: null, note: '' }, '2026-02-12', new Date())
  const entry = await recordFee(w.db, agent, { kind: 'collect', amountFen: 1234n, department: 'labour', payer: '张三', caseId: null, note: '' }, '2026-02-13', new Date())
  await t.rejects(reverseFee(w.db, agent, yesterday.id, '录错', '2026-02-13', new Date()), rule('fees.reverseSameDay'), 'not a past day')
  await t.rejects(reverseFee(w.db, other, entry.id, '录错', '2026-02-13', new Date()), { code: 'APP_ERR_NOT_FOUND' } as unknown as Error, 'not another station')
  await t.rejects(reverseFee(w.db, agent, entry.id, '  ', '2026-02-13', new Date()), rule('validation.required'), 'a reason is needed')
  const reversal = await reverseFee(w.db, agent, entry.id, '金额录错', '2026-02-13', new Date())
  await t.rejects(reverseFee(w.db, agent, entry.id, '再撤一次', '2026-02-13', new Date()), rule('fees.alreadyReversed'), 'at most once')
  await t.rejects(reverseFee(w.db, agent, reversal.id, '撤销撤销', '2026-02-13', new Date()), rule('fees.reverseReversal'))
  const rows = await w.db.selectFrom('feeEntries').select(['serial', 'kind', 'amountFen', 'reversesId', 'note']).where('day', '=', '2026-02-13').orderBy('id').execute()
  t.same(rows.map((r) => [r.kind, r.amountFen]), [['collect', '1234'], ['reversal', '-1234']])
  t.match(rows[1].note, entry.serial, 'the reversal names the original serial number')
  const parallel = await recordFee(w.db, agent, { kind: 'collect', amountFen: 10n, department: 'labour', payer: '', caseId: null, note: '' }, '2026-02-13', new Date())
  const races = await Promise.allSettled(Array.from({ length: 5 }, () => reverseFee(w.db, agent, parallel.id, '并发', '2026-02-13', new Date())))
  t.equal(races.filter((r) => r.status === 'fulfilled').length, 1, 'five racing reversals: one succeeds')
  await t.rejects(w.db.updateTable('feeEntries').set({ note: 'x' }).where('id', '=', entry.id).execute(), 'entries are immutable in the database')
})

t.test('settlement closes the day to entries and reversals; a difference needs a note', async (t) => {
  const w = await setupCaseWorld(t)
  const agent = (await findActor(w.db, w.agent.id))!
  const entry = await recordFee(w.db, agent, { kind: 'collect', amountFen: 2000n, department: 'labour', payer: '', caseId: null, note: '' }, '2026-02-13', new Date())
  await recordFee(w.db, agent, { kind: 'remit', amountFen: 500n, department: 'labour', payer: '', caseId: null, note: '' }, '2026-02-13', new Date())
  const mine = await settleAgent(w.db, agent, '2026-02-13')
  t.same(mine.totals, { labour: '1500' })
  await settleAgent(w.db, agent, '2026-02-13')
  t.equal((await w.db.selectFrom('agentSettlements').select('id').execute()).length, 2, 'an agent may total up as often as wanted')
  await t.rejects(settleStation(w.db, agent, '2026-02-13', 1400n, ''), rule('fees.differenceNote'))
  const result = await settleStation(w.db, agent, '2026-02-13', 1400n, '少收 1 元，已追缴')
  t.equal(result.difference, -100n)
  await t.rejects(recordFee(w.db, agent, { kind: 'collect', amountFen: 1n, department: 'labour', payer: '', caseId: null, note: '' }, '2026-02-13', new Date()), rule('fees.daySettled'))
  await t.rejects(reverseFee(w.db, agent, entry.id, '晚了', '2026-02-13', new Date()), rule('fees.daySettled'))
  await t.rejects(settleStation(w.db, agent, '2026-02-13', 1500n, ''), rule('fees.daySettled'), 'a day is settled once')
  // The database holds the rule too, whatever the code does.
  await t.rejects(
    sql`insert into fee_entries (county_id, town_id, village_id, serial, day, seq, kind, amount_fen, department, entered_by, entered_at, prev_hash, hash)
        values (${w.org.countyId}, ${w.org.towns[0].id}, ${w.org.villages[0].id}, 'X', '2026-02-13', 99, 'collect', 1, 'labour', ${w.agent.id}, now(), 'a', 'b')`.execute(w.db),
    /is settled/,
  )
})

t.test('the fee pages: entry form, bad input kept, reversal, settlement, report', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00')
  const agent = await loggedIn(w, w.agent)
  let page = await agent.get('/fees')
  t.equal(page.statusCode, 200)
  const bad = await agent.post('/fees', { kind: 'collect', amount: '12.345', department: 'labour', payer: '王五' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, '请填写金额')
  t.match(bad.body, 'value="王五"')
  t.equal((await w.db.selectFrom('feeEntries').select('id').execute()).length, 0, 'nothing written')
  t.equal((await agent.post('/fees', { kind: 'collect', amount: '288', department: 'broadcasting', payer: '王五', caseNo: '' })).statusCode, 303)
  t.equal((await agent.post('/fees', { kind: 'collect', amount: '0.1', department: 'broadcasting', payer: '李四' })).statusCode, 303)
  t.equal((await agent.post('/fees', { kind: 'collect', amount: '0.2', department: 'broadcasting', payer: '赵六' })).statusCode, 303)
  page = await agent.get('/fees')
  t.match(page.body, '288.30', 'the total is exact: 288 + 0.10 + 0.20')
  const id = /action="\/fees\/(\d+)\/reverse"/.exec(page.body)![1]
  t.equal((await agent.post(`/fees/${id}/reverse`, { reason: '录错' })).statusCode, 303)
  page = await agent.get('/fees?reversals=on')
  t.match(page.body, '撤销')
  const report = await agent.get('/fees/report')
  t.match(report.body, '广电')
  t.match(report.body, '288.30', 'collected')
  t.match(report.body, '-288.00', 'reversed')
  const settle = await agent.get('/fees/settlement')
  t.match(settle.body, '网点扎账')
  t.match(settle.body, '0.30', 'expected: 288.30 less the 288 reversed')
  const refused = await agent.post('/fees/settlement/station', { declared: '1.00', note: '' })
  t.equal(refused.statusCode, 400, 'a difference without a note is refused')
  t.match(refused.body, '请说明原因')
  const done = await agent.post('/fees/settlement/station', { declared: '1.00', note: '多收 0.70 元，次日退还' })
  t.equal(done.statusCode, 303)
  page = await agent.get('/fees')
  t.match(page.body, '今日已网点扎账')
  t.notMatch(page.body, 'method="post" action="/fees"', 'the entry form is gone')
  const pdf = await agent.get('/fees/report/pdf')
  t.equal(pdf.headers['content-type'], 'application/pdf')
  const supervisor = await loggedIn(w, w.supervisor)
  t.equal((await supervisor.get(`/fees?villageId=${w.org.villages[0].id}`)).statusCode, 200)
  t.equal((await supervisor.get(`/fees?villageId=${w.org.villages[2].id}`)).statusCode, 404, 'another town’s station')
  t.equal((await supervisor.post('/fees', { kind: 'collect', amount: '1', department: 'labour' })).statusCode, 403, 'only agents enter money')
})
