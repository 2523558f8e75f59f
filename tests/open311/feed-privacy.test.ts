import tap, { test } from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import ExcelJS from '../../server/exports/exceljs.ts'
import { importCatalogue } from '../../server/matters/matters.service.ts'
import { demoCatalogue } from '../../server/demo/matters.ts'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT, type CaseWorld } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import { CASES_HEADER, importWorkbook } from '../fixtures/import-upload.ts'

// A database per test and an import job: longer than tap's default 30 s on a loaded machine.
tap.setTimeout(5 * 60_000)

/**
 * The anonymous Open311 feed as someone re-identifying households would read it: joined with the
 * board's monthly list (masked name, matter, date), a village group or an outcome singles out a
 * family. Without a key the feed says the number, matter, open or closed, the dates and the
 * village; by number only what the default list would show, ten at a time; the partner that filed
 * a case sees it in full. Marking a matter "keep off public lists" hides its earlier cases, and an
 * imported case is dated by its registration, not by the import.
 */

type Json = Record<string, unknown>

async function issueKey(w: CaseWorld, partner: string) {
  const admin = await makeUser(w.db, w.org, 'admin')
  const browser = await loggedIn(w, admin)
  await browser.get('/admin/api-keys')
  const res = await browser.post('/admin/api-keys', { partner, channel: 'hotline', townId: '' })
  return /data-api-key>([^<]+)</.exec(res.body)![1]
}

async function partnerFiles(w: CaseWorld, key: string, code = 'MZ-01', group = '六组') {
  const res = await w.app.inject({
    method: 'POST',
    url: '/open311/v2/requests.json',
    payload: new URLSearchParams({ api_key: key, service_code: code, address_id: w.org.villages[0].code, last_name: '赵', first_name: '桂兰', phone: '13987654321', 'attribute[service_form]': 'proxy', 'attribute[village_group]': group }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded' },
  })
  if (res.statusCode !== 201) throw new Error(`POST refused: ${res.body}`)
  return (res.json() as Json[])[0].service_request_id as string
}

const get = async (w: CaseWorld, url: string) => {
  const res = await w.app.inject({ method: 'GET', url })
  return { status: res.statusCode, body: res.body, json: res.statusCode === 200 ? (res.json() as Json[]) : [] }
}

test('without a key the feed names no village group and no stage or outcome in words; the filing partner sees its own in full', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { open311RateLimitPerMinute: 100_000 })
  const village = w.org.villages[0]
  const key = await issueKey(w, '县12345热线')
  const otherKey = await issueKey(w, '镇小程序')
  const byPartner = await partnerFiles(w, key)
  // A case from the counter: the applicant's file has its village group (三组).
  const { caseId } = await submitIntake(await loggedIn(w, w.agent), await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const atCounter = (await w.db.selectFrom('cases').select('caseNo').where('id', '=', caseId!).executeTakeFirstOrThrow()).caseNo
  // Both handled and approved: the outcome the board's list also gives, with the masked name.
  await w.db.updateTable('cases').set({ stage: 'closed', outcome: 'approved', completedOn: '2026-03-02', closedOn: '2026-03-02' }).where('caseNo', 'in', [byPartner, atCounter]).execute()

  for (const url of ['/open311/v2/requests.json', `/open311/v2/requests.json?service_request_id=${byPartner},${atCounter}`, `/open311/v2/requests/${byPartner}.json`, `/open311/v2/requests/${atCounter}.json`, `/open311/v2/requests.json?api_key=${otherKey}`]) {
    const { status, json, body } = await get(w, url)
    t.equal(status, 200, url)
    const ours = json.filter((r) => r.service_request_id === byPartner || r.service_request_id === atCounter)
    t.ok(ours.length >= 1, `${url}: the requests are listed`)
    for (const r of ours) {
      t.equal(r.address, village.name, `${url} ${r.service_request_id}: the village, without its group`)
      t.equal(r.status, 'closed', 'open or closed is said')
      t.equal(r.status_notes, '', 'the stage and outcome are not said in words')
      t.equal(r.service_code, 'MZ-01')
      t.equal(String(r.requested_datetime).slice(0, 10), '2026-03-02')
    }
    t.notOk(/六组|三组|批准|已办结/.test(body), `${url}: no group, stage or outcome anywhere in the answer`)
  }

  // The partner that filed it: its stage and outcome, and the village group it gave.
  const own = (await get(w, `/open311/v2/requests/${byPartner}.json?api_key=${key}`)).json[0]
  t.equal(own.address, `${village.name} 六组`, 'the filing partner sees the group it gave')
  t.match(own.status_notes, /批准/, 'and the outcome')
  const ownList = (await get(w, `/open311/v2/requests.json?api_key=${key}`)).json
  t.equal(ownList.find((r) => r.service_request_id === atCounter)!.status_notes, '', "a case it did not file is shown to it as to anyone")
  t.notOk(JSON.stringify(ownList).includes('13987654321'), 'never the phone')
})

test('by number: only what the default list would show, at most ten numbers; the filing partner follows its own at any age', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { open311RateLimitPerMinute: 100_000 })
  const key = await issueKey(w, '县12345热线')
  const old = await partnerFiles(w, key)
  w.clock.set('2026-06-15 09:00') // 105 days later
  const recent = await partnerFiles(w, key)

  t.same((await get(w, `/open311/v2/requests.json?service_request_id=${old},${recent}`)).json.map((r) => r.service_request_id), [recent], 'a request older than the list\'s 90 days is not answered by number')
  t.equal((await get(w, `/open311/v2/requests/${old}.json`)).status, 404, 'nor on its own')
  t.equal((await get(w, `/open311/v2/requests/${recent}.json`)).status, 200)
  t.same((await get(w, `/open311/v2/requests.json?api_key=${key}&service_request_id=${old}`)).json.map((r) => r.service_request_id), [old], 'the partner that filed it still follows it')
  t.equal((await get(w, `/open311/v2/requests/${old}.json?api_key=${key}`)).status, 200)

  const prefix = recent.slice(0, -3)
  const ten = Array.from({ length: 10 }, (_, i) => `${prefix}${String(i + 1).padStart(3, '0')}`)
  t.equal((await get(w, `/open311/v2/requests.json?service_request_id=${ten.join(',')}`)).status, 200, 'ten numbers a call')
  const eleven = await get(w, `/open311/v2/requests.json?service_request_id=${[...ten, `${prefix}011`].join(',')}`)
  t.equal(eleven.status, 400, 'eleven are refused')
  t.match(eleven.body, /10/, 'saying how many may be asked')
})

test('marking a matter "keep off public lists" hides its earlier cases from the anonymous feed, not from the partner that filed them', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { open311RateLimitPerMinute: 100_000 })
  const key = await issueKey(w, '县12345热线')
  const caseNo = await partnerFiles(w, key, 'MZ-01')
  t.equal((await get(w, `/open311/v2/requests/${caseNo}.json`)).status, 200, 'a public matter\'s request is public')

  // The county decides MZ-01 is sensitive after all: a new version of the matter.
  const catalogue = demoCatalogue()
  await importCatalogue(w.db, null, w.org.countyId, { ...catalogue, matters: catalogue.matters.map((m) => (m.code === 'MZ-01' ? { ...m, keepOffPublicList: true } : m)) })
  t.equal((await get(w, `/open311/v2/requests/${caseNo}.json`)).status, 404, 'by number: hidden')
  t.same((await get(w, `/open311/v2/requests.json?service_request_id=${caseNo}`)).json, [], 'in a list by number: hidden')
  t.notOk((await get(w, '/open311/v2/requests.json')).json.some((r) => r.service_request_id === caseNo), 'in the list: hidden')
  t.equal((await get(w, `/open311/v2/requests/${caseNo}.json?api_key=${key}`)).status, 200, 'the partner that filed it still sees it')
})

test("an imported case is requested on its registration date, not the day of the import", async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { dataDir: await mkdtemp(path.join(tmpdir(), 'bianmin-import-')), open311RateLimitPerMinute: 100_000 })
  const dir = await mkdtemp(path.join(tmpdir(), 'bianmin-xlsx-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const village = w.org.villages[0]
  const file = path.join(dir, '台账.xlsx')
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet('历史办件')
  sheet.addRow(CASES_HEADER)
  sheet.addRow([village.name, '导入甲', '', '13911112222', '', 'MZ-01', '', '2026-01-10', '2026-01-10', '', '2026-01-20', '', '批准', 'OLD-1', ''])
  sheet.addRow([village.name, '导入乙', '', '13911113333', '', 'MZ-01', '', '2025-05-03', '2025-05-03', '', '2025-05-20', '', '批准', 'OLD-2', ''])
  await workbook.xlsx.writeFile(file)
  const admin = await loggedIn(w, await makeUser(w.db, w.org, 'admin'))
  t.match((await importWorkbook(w.app, admin, 'cases', file)).body, /新增 2 条/)

  const list = (await get(w, '/open311/v2/requests.json')).json
  t.same(list.map((r) => [r.requested_datetime, r.status]), [['2026-01-10T00:00:00+08:00', 'closed']], 'the January case on its own date; the one of last May is not in the last 90 days')
  const january = list[0].service_request_id as string
  const may = (await w.db.selectFrom('cases').select('caseNo').where('registeredOn', '=', '2025-05-03').executeTakeFirstOrThrow()).caseNo
  t.equal((await get(w, `/open311/v2/requests/${may}.json`)).status, 404, 'nor by its number')
  const inMay = (await get(w, `/open311/v2/requests.json?start_date=${encodeURIComponent('2025-05-01T00:00:00+08:00')}&end_date=${encodeURIComponent('2025-05-31T00:00:00+08:00')}`)).json
  t.same(inMay.map((r) => [r.service_request_id, r.requested_datetime]), [[may, '2025-05-03T00:00:00+08:00']], 'a list of May 2025 holds it, on its date')
  t.same((await get(w, `/open311/v2/requests.json?start_date=${encodeURIComponent('2026-03-02T00:00:00+08:00')}`)).json.map((r) => r.service_request_id), [], 'the day of the import holds neither')
  t.ok(january)
})
