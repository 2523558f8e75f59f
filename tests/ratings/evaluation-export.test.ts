import t from 'tap'
import http from 'node:http'
import { sql } from 'kysely'
import { setupCaseWorld, loggedIn, submitIntake, act, APPLICANT, townWindowId, type CaseWorld } from '../fixtures/cases.ts'
import type { Browser } from '../fixtures/browser.ts'
import { freePort } from '../fixtures/ports.ts'
import { EVALUATION_FIELDS, gradeOf, type EvaluationRecord } from '../../server/ratings/evaluation-record.ts'
import { formatIsoDateTime } from '../../server/calendar/local-time.ts'
import { deliverRatings, queueRatingPush, WebhookRatingSender } from '../../server/ratings/rating-push.ts'
import { BACKOFF_MINUTES } from '../../server/sms/outbox.ts'
import { RATINGS } from '../../server/db/schema.ts'
import { idCheckChar } from '../../server/applicants/id-number.ts'

const TZ = 'Asia/Shanghai'

/** The CSV's lines split into cells (RFC 4180 quoting), without the BOM. */
function parseCsv(body: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  const text = body.replace(/^\uFEFF/, '')
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') (cell += '"'), i++
      else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') row.push(cell), (cell = '')
    else if (ch === '\r' && text[i + 1] === '\n') row.push(cell), rows.push(row), (row = []), (cell = ''), i++
    else cell += ch
  }
  return rows
}

/** A forwarded case, completed by the window and rated at the reply. */
async function forwardedAndRated(w: CaseWorld, agent: Browser, clerk: Browser, rating: Record<string, string>) {
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  await act(agent, caseId!, 'forward', { windowId: townWindowId(w), method: 'online' })
  await act(clerk, caseId!, 'receive')
  await act(clerk, caseId!, 'complete', { outcome: 'refused', reason: '收入超标' })
  const res = await act(agent, caseId!, 'reply', { how: 'phone', ...rating })
  if (res.statusCode !== 303) throw new Error(`reply failed: ${res.statusCode}`)
  return caseId!
}

let people = 0
/** A new applicant each time (an ID number has one file), with a valid ID number. */
function newApplicant(name = '李四', phone = '13700001111') {
  const first17 = `1101051980010${String(100 + ++people).slice(-3)}1`
  return { ...APPLICANT, name, phone, idNumber: first17 + idCheckChar(first17) }
}

/** A case handled on the spot at the station and rated at the reply. */
async function onTheSpotRated(w: CaseWorld, agent: Browser, overall: string, applicant: Record<string, string> = newApplicant()) {
  const { caseId } = await submitIntake(agent, await w.matterId('LB-03'), { ...applicant, serviceForm: 'on_the_spot', materialsReceived: ['居民身份证', '户口簿'] })
  await act(agent, caseId!, 'complete', { outcome: 'approved' })
  const res = await act(agent, caseId!, 'reply', { how: 'station', overall })
  if (res.statusCode !== 303) throw new Error(`reply failed: ${res.statusCode}`)
  return caseId!
}

const caseNoOf = async (w: CaseWorld, caseId: string) => (await w.db.selectFrom('cases').select('caseNo').where('id', '=', caseId).executeTakeFirstOrThrow()).caseNo

t.test('pure rules: grades count 5 (非常满意) down to 1; times carry the local offset', async (t) => {
  t.same(RATINGS.map(gradeOf), [5, 4, 3, 2, 1])
  for (const [instant, zone, expected] of [
    ['2026-11-05T02:00:00Z', 'Asia/Shanghai', '2026-11-05T10:00:00+08:00'],
    ['2026-11-30T16:30:05Z', 'Asia/Shanghai', '2026-12-01T00:30:05+08:00'],
    ['2026-11-05T02:00:00.999Z', 'Asia/Shanghai', '2026-11-05T10:00:00+08:00'],
    ['2026-07-01T12:00:00Z', 'America/New_York', '2026-07-01T08:00:00-04:00'],
    ['2026-07-01T12:00:00Z', 'Asia/Kolkata', '2026-07-01T17:30:00+05:30'],
    ['2026-07-01T12:00:00Z', 'UTC', '2026-07-01T12:00:00+00:00'],
  ] as const) t.equal(formatIsoDateTime(new Date(instant), zone), expected, `${instant} in ${zone}`)
})

t.test('the monthly export: fields in order, the partner’s values, scope and month', async (t) => {
  const w = await setupCaseWorld(t, '2026-11-10 09:00')
  const [village0, , village2] = w.org.villages
  await w.db.updateTable('villages').set({ divisionCode: '510722101201' }).where('id', '=', village0.id).execute()
  await w.db.updateTable('towns').set({ divisionCode: '510722102000' }).where('id', '=', village2.townId).execute()
  await w.db.updateTable('windows').set({ departmentCode: '115107221010000000' }).where('id', '=', Number(townWindowId(w))).execute()
  const town2Labour = w.org.windows.find((x) => x.townId === village2.townId && x.department === 'labour')!
  await w.db.updateTable('windows').set({ departmentCode: '11510722LB02' }).where('id', '=', town2Labour.id).execute()
  const agent = await loggedIn(w, w.agent)
  const clerk = await loggedIn(w, w.clerk)
  const townSupervisor = await loggedIn(w, w.supervisor)
  const county = await loggedIn(w, w.countySupervisor)

  const bad = await forwardedAndRated(w, agent, clerk, { overall: 'dissatisfied', satisfaction: '2', efficiency: '3', competence: '4', attitude: '1', comment: '窗口态度差' })
  const replyAt = (await w.db.selectFrom('caseEvents').select('at').where('caseId', '=', bad).where('action', '=', 'reply').executeTakeFirstOrThrow()).at
  // The window rectifies; the supervisor accepts: the export says what was fixed.
  const r = await w.db.selectFrom('rectifications').select('id').where('caseId', '=', bad).executeTakeFirstOrThrow()
  t.equal((await clerk.post(`/rectifications/${r.id}/submit`, { callback: '已电话回访', fixed: '窗口人员已培训', reply: '已致歉' })).statusCode, 303)
  t.equal((await townSupervisor.post(`/rectifications/${r.id}/decide`, { decision: 'accepted', note: '' })).statusCode, 303)
  // Another town's station: not the town supervisor's.
  w.clock.set('2026-11-12 15:00')
  const other = await onTheSpotRated(w, await loggedIn(w, w.otherAgent), 'very_satisfied', newApplicant('李四', '13700001111'))
  // December: outside November.
  w.clock.set('2026-12-02 10:00')
  const december = await onTheSpotRated(w, agent, 'satisfied')

  const csv = await county.get('/ratings/export.csv?month=2026-11')
  t.equal(csv.statusCode, 200)
  t.match(csv.headers['content-type'], 'text/csv')
  t.match(csv.headers['content-disposition'], 'ratings-2026-11.csv')
  t.ok(csv.body.startsWith('\uFEFF'), 'a BOM, so Excel reads the Chinese')
  const [header, ...rows] = parseCsv(csv.body)
  t.same(header, [
    '办件编号', '事项编码', '事项版本', '事项名称', '实施部门', '实施部门编码', '行政区划代码',
    '申请人类型', '申请人姓名', '证件类型', '证件号码', '联系电话', '经办人', '受理渠道', '评价时办件状态',
    '评价等级', '评价结果', '服务效率', '服务水平', '服务态度', '整体满意度', '评价内容',
    '服务时间', '评价时间', '评价时间说明', '默认评价', '整改状态', '整改情况',
  ], 'the CSV header, in the platform’s order')
  t.equal(rows.length, 2, 'the county’s two November ratings')
  const badNo = await caseNoOf(w, bad)
  const row = Object.fromEntries(header.map((h, i) => [h, rows.find((x) => x[0] === badNo)![i]]))
  t.match(row, {
    事项编码: 'MZ-01', 事项版本: '1', 实施部门: '第1镇 · 第1镇civil_affairs窗口', 实施部门编码: '115107221010000000', 行政区划代码: '510722101201',
    申请人类型: '自然人', 申请人姓名: '张小三', 证件类型: '居民身份证', 证件号码: '11010519491231002X', 联系电话: '13912345678', 经办人: '王代办',
    受理渠道: '到站', 评价时办件状态: '已办结', 评价等级: '2', 评价结果: '不满意', 服务效率: '3', 服务水平: '4', 服务态度: '1', 整体满意度: '2', 评价内容: '窗口态度差',
    服务时间: formatIsoDateTime(replyAt, TZ), 评价时间: formatIsoDateTime(replyAt, TZ), 评价时间说明: '', 默认评价: '否', 整改状态: '已通过', 整改情况: '窗口人员已培训',
  })

  const json = await county.get('/ratings/export.json?month=2026-11')
  t.equal(json.statusCode, 200)
  t.match(json.headers['content-type'], 'application/json')
  const body = JSON.parse(json.body) as { month: string; count: number; records: EvaluationRecord[] }
  t.equal(body.month, '2026-11')
  t.equal(body.count, 2)
  t.same(Object.keys(body.records[0]), [...EVALUATION_FIELDS], 'stable machine names, in order')
  t.same(EVALUATION_FIELDS.slice(0, 7), ['case_no', 'matter_code', 'matter_version', 'matter_name', 'department_name', 'department_code', 'division_code'])
  const badRecord = body.records.find((x) => x.case_no === badNo)!
  t.match(badRecord, {
    matter_code: 'MZ-01', matter_version: 1, department_code: '115107221010000000', division_code: '510722101201',
    applicant_type: 'natural_person', applicant_id_type: 'resident_id_card', applicant_id_number: '11010519491231002X', applicant_phone: '13912345678',
    agent_name: '王代办', channel: 'station', stage_at_rating: 'completed', grade: 2, grade_name: 'dissatisfied',
    efficiency: 3, competence: 4, attitude: 1, satisfaction: 2, comment: '窗口态度差', by_default: false,
    rectification_status: 'accepted', rectification_fixed: '窗口人员已培训',
  })
  const otherNo = await caseNoOf(w, other)
  const otherRecord = body.records.find((x) => x.case_no === otherNo)!
  t.match(otherRecord, {
    grade: 5, grade_name: 'very_satisfied', applicant_name: '李四', applicant_phone: '13700001111', rectification_status: '', rectification_fixed: '',
    department_code: '11510722LB02', department_name: '第2镇 · 第2镇labour窗口',
    division_code: '510722102000',
  }, 'a station’s own case: the town’s window it acted for; a village without a code is named by its town’s')

  // Scope: the town supervisor gets the town's rating only.
  const town = JSON.parse((await townSupervisor.get('/ratings/export.json?month=2026-11')).body) as { records: EvaluationRecord[] }
  t.same(town.records.map((x) => x.case_no), [badNo], 'a town supervisor never gets another town’s ratings')
  const townCsv = (await townSupervisor.get('/ratings/export.csv?month=2026-11')).body
  t.notMatch(townCsv, '13700001111')
  // The month: December's rating only in December.
  const dec = JSON.parse((await county.get('/ratings/export.json?month=2026-12')).body) as { records: EvaluationRecord[] }
  t.same(dec.records.map((x) => x.case_no), [await caseNoOf(w, december)])
  t.equal((await county.get('/ratings/export.json?month=2026-13')).statusCode, 400, 'a month that is not one')
  // Without a month: the current one.
  t.equal((JSON.parse((await county.get('/ratings/export.json')).body) as { month: string }).month, '2026-12')

  // Agents and clerks never get the records.
  t.equal((await agent.get('/ratings/export.csv?month=2026-11')).statusCode, 403)
  t.equal((await clerk.get('/ratings/export.json?month=2026-11')).statusCode, 403)
  t.equal((await w.browser().get('/ratings/export.csv?month=2026-11')).statusCode, 303, 'anonymous: to the login')

  // Each export of full ID numbers is recorded.
  const audits = await w.db.selectFrom('auditEvents').select(['actorId', 'subjectId', 'data']).where('action', '=', 'ratings.exported').orderBy('id').execute()
  t.match(audits[0], { actorId: w.countySupervisor.id, subjectId: '2026-11', data: { format: 'csv', records: 2 } })

  // The statistics page offers the export to supervisors; no ID number anywhere on it; agents are not offered it.
  const stats = await county.get('/stats?month=2026-11')
  t.match(stats.body, 'action="/ratings/export.csv"')
  t.match(stats.body, 'formaction="/ratings/export.json"')
  t.match(stats.body, 'name="month" value="2026-11"')
  t.notMatch(stats.body, '11010519491231002X')
  t.notMatch((await agent.get('/stats')).body, '/ratings/export')
})

t.test('a rating time before the service time is reported as the service time, with the reason', async (t) => {
  const w = await setupCaseWorld(t, '2026-11-10 09:00')
  const agent = await loggedIn(w, w.agent)
  const caseId = await onTheSpotRated(w, agent, 'basic')
  const replyAt = (await w.db.selectFrom('caseEvents').select('at').where('caseId', '=', caseId).where('action', '=', 'reply').executeTakeFirstOrThrow()).at
  // A station PC's clock an hour and a half behind: the stored time precedes the reply.
  const stored = new Date(replyAt.getTime() - 90 * 60_000)
  // (recorded_at is written once by the database's rules: only raw SQL can set it back.)
  await sql`update case_ratings set recorded_at = ${stored} where case_id = ${caseId}`.execute(w.db)
  const county = await loggedIn(w, w.countySupervisor)
  const [record] = (JSON.parse((await county.get('/ratings/export.json?month=2026-11')).body) as { records: EvaluationRecord[] }).records
  t.equal(record.service_time, '2026-11-10T09:00:00+08:00', 'the service time: the reply')
  t.equal(record.rating_time, record.service_time, 'the rating is reported at the service time, never before it')
  t.equal(record.rating_time_note, '记录的评价时间（2026-11-10T07:30:00+08:00）早于服务时间，按服务时间报送。')
  t.equal(record.grade, 3)
  t.equal(record.department_name, '第1镇 · 第1镇labour窗口', 'done at the station for the town’s labour window')

  // A county without a window of the matter's department: the station itself is named.
  await w.db.updateTable('windows').set({ department: 'forestry' }).where('department', '=', 'labour').execute()
  const [station] = (JSON.parse((await county.get('/ratings/export.json?month=2026-11')).body) as { records: EvaluationRecord[] }).records
  t.match(station, { department_name: '第1镇 · 第1镇1村便民服务代办站', department_code: '' })
  const rows = parseCsv((await county.get('/ratings/export.csv?month=2026-11')).body)
  const i = rows[0].indexOf('评价时间说明')
  t.match(rows[1][i], '早于服务时间')
  t.equal(rows[1][rows[0].indexOf('评价时间')], '2026-11-10T09:00:00+08:00')

  // English readers get English headers and words.
  const en = await county.get('/ratings/export.csv?month=2026-11', { cookie: `${county.cookieHeader()}; lang=en` })
  t.match(en.body, 'Case number,Matter code,Matter version')
})

/** A fake provincial platform: answers 500 to the first `failures` posts, then 200 after `delayMs`. */
async function fakePlatform(t: { teardown: (fn: () => Promise<void>) => void }, failures: number, delayMs = 0) {
  const received: EvaluationRecord[] = []
  let calls = 0
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      calls++
      if (calls <= failures) return void res.writeHead(500).end()
      setTimeout(() => {
        received.push(JSON.parse(body))
        res.writeHead(200).end('{"ok":true}')
      }, delayMs)
    })
  })
  const port = await freePort()
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve))
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())))
  return { url: `http://127.0.0.1:${port}/ratings`, received, calls: () => calls }
}

t.test('the push: queued with the rating, retried on the SMS schedule, sent once', async (t) => {
  const w = await setupCaseWorld(t, '2026-11-10 09:00')
  const agent = await loggedIn(w, w.agent)
  const caseId = await onTheSpotRated(w, agent, 'very_dissatisfied', APPLICANT)
  const queued = await w.db.selectFrom('ratingOutbox').selectAll().execute()
  t.equal(queued.length, 1, 'the rating is queued in its own transaction')
  t.same([queued[0].caseId, queued[0].status, queued[0].attempts], [caseId, 'pending', 0])
  await w.db.transaction().execute((trx) => queueRatingPush(trx, { caseId, countyId: w.org.countyId }, w.clock.now()))
  t.equal((await w.db.selectFrom('ratingOutbox').selectAll().execute()).length, 1, 'queueing again adds no second row')

  const platform = await fakePlatform(t, 2)
  const sender = new WebhookRatingSender(platform.url)
  const t0 = new Date(w.clock.now().getTime() + 1000)
  t.equal(await deliverRatings(w.db, sender, t0, TZ), 0, 'the first try fails')
  let row = await w.db.selectFrom('ratingOutbox').selectAll().executeTakeFirstOrThrow()
  t.same([row.status, row.attempts, row.lastError], ['pending', 1, 'platform answered 500'])
  t.equal(row.nextAttemptAt.getTime() - t0.getTime(), BACKOFF_MINUTES[0] * 60_000, 'retried after the first wait')
  t.equal(await deliverRatings(w.db, sender, t0, TZ), 0, 'not before its time')
  t.equal(platform.calls(), 1)
  const t1 = new Date(t0.getTime() + BACKOFF_MINUTES[0] * 60_000)
  await deliverRatings(w.db, sender, t1, TZ)
  row = await w.db.selectFrom('ratingOutbox').selectAll().executeTakeFirstOrThrow()
  t.equal(row.nextAttemptAt.getTime() - t1.getTime(), BACKOFF_MINUTES[1] * 60_000, 'then after the second')
  const t2 = new Date(t1.getTime() + BACKOFF_MINUTES[1] * 60_000)
  t.equal(await deliverRatings(w.db, sender, t2, TZ), 1, 'the third try gets through')
  row = await w.db.selectFrom('ratingOutbox').selectAll().executeTakeFirstOrThrow()
  t.same([row.status, row.attempts], ['sent', 3])
  t.equal(await deliverRatings(w.db, sender, new Date(t2.getTime() + 86_400_000), TZ), 0, 'nothing left to send')
  t.equal(platform.received.length, 1, 'received once')

  // The payload is the export's record.
  const county = await loggedIn(w, w.countySupervisor)
  const [exported] = (JSON.parse((await county.get('/ratings/export.json?month=2026-11')).body) as { records: EvaluationRecord[] }).records
  t.same(platform.received[0], exported, 'the push sends the same record as the export')
  t.match(platform.received[0], { grade: 1, grade_name: 'very_dissatisfied', rectification_status: 'open', applicant_id_number: '11010519491231002X' })
})

t.test('the push gives up after the last wait', async (t) => {
  const w = await setupCaseWorld(t, '2026-11-10 09:00')
  await onTheSpotRated(w, await loggedIn(w, w.agent), 'satisfied')
  const platform = await fakePlatform(t, Infinity)
  const sender = new WebhookRatingSender(platform.url)
  let now = new Date(w.clock.now().getTime() + 1000)
  for (let i = 0; i <= BACKOFF_MINUTES.length + 1; i++) {
    await deliverRatings(w.db, sender, now, TZ)
    now = new Date(now.getTime() + (BACKOFF_MINUTES.at(-1)! + 60) * 60_000)
  }
  const row = await w.db.selectFrom('ratingOutbox').selectAll().executeTakeFirstOrThrow()
  t.same([row.status, row.attempts], ['failed', BACKOFF_MINUTES.length + 1], 'marked failed once the schedule is used up')
  t.equal(platform.calls(), BACKOFF_MINUTES.length + 1, 'and tried no more')
})

t.test('two instances delivering at once push each rating once', async (t) => {
  const w = await setupCaseWorld(t, '2026-11-10 09:00')
  const agent = await loggedIn(w, w.agent)
  const cases = [await onTheSpotRated(w, agent, 'satisfied'), await onTheSpotRated(w, agent, 'basic'), await onTheSpotRated(w, agent, 'very_satisfied')]
  const platform = await fakePlatform(t, 0, 150)
  const sender = new WebhookRatingSender(platform.url)
  const now = new Date(w.clock.now().getTime() + 1000)
  const [a, b] = await Promise.all([deliverRatings(w.db, sender, now, TZ), deliverRatings(w.db, sender, now, TZ)])
  t.equal(a + b, 3, 'between them, every rating')
  t.equal(platform.received.length, 3, 'each pushed once')
  const caseNos = await Promise.all(cases.map((c) => caseNoOf(w, c)))
  t.same(platform.received.map((r) => r.case_no).sort(), caseNos.sort())
  const rows = await w.db.selectFrom('ratingOutbox').select(['status', 'attempts']).execute()
  t.same(rows.map((r) => `${r.status}:${r.attempts}`), ['sent:1', 'sent:1', 'sent:1'])
})
