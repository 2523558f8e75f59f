import tap, { test } from 'tap'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import ExcelJS from '../../server/exports/exceljs.ts'
import { importCatalogue } from '../../server/matters/matters.service.ts'
import { demoCatalogue } from '../../server/demo/matters.ts'
import { idempotencyKeyOf } from '../../server/cases/intake.ts'
import { fillScopes } from '../../migrations/2026_12_07_022_scope_idempotency_keys.ts'
import { sql } from 'kysely'
import { setupCaseWorld, loggedIn, type CaseWorld } from '../fixtures/cases.ts'
import { makeOrg, makeUser, type MadeUser, type Org } from '../fixtures/factories.ts'
import { CASES_HEADER, importWorkbook } from '../fixtures/import-upload.ts'

// A database per test and an import job: longer than tap's default 30 s on a loaded machine.
tap.setTimeout(5 * 60_000)

/**
 * Idempotency keys belong to their issuer (a station, a partner key, the county's imports). An
 * agent who posts the station form with a key another issuer will use (a partner's is derived from
 * its Idempotency-Key header and key number, an import's from the ledger row) must not make that
 * issuer's request vanish into the agent's case: the partner's POST and the import file their own.
 */

type Json = Record<string, unknown>

async function issueKey(w: CaseWorld, org: Org, partner: string) {
  const admin = await makeUser(w.db, org, 'admin')
  const browser = await loggedIn(w, admin)
  await browser.get('/admin/api-keys')
  const res = await browser.post('/admin/api-keys', { partner, channel: 'hotline', townId: '' })
  const key = /data-api-key>([^<]+)</.exec(res.body)![1]
  const { id } = await w.db.selectFrom('apiKeys').select('id').where('countyId', '=', org.countyId).where('partner', '=', partner).executeTakeFirstOrThrow()
  return { key, id }
}

/** The station's intake form posted with a key of the agent's choosing (the form accepts any uuid). */
async function claimAtStation(w: CaseWorld, agent: MadeUser, idempotencyKey: string, name: string) {
  const browser = await loggedIn(w, agent)
  const matterId = await w.matterId('MZ-01')
  await browser.get(`/cases/new?matterId=${matterId}`)
  const res = await browser.post('/cases', { idempotencyKey, matterId: String(matterId), channel: 'station', serviceForm: 'proxy', decision: 'register', name, phone: '13900001111', summary: '咨询' })
  const caseId = /\/cases\/(\d+)/.exec(String(res.headers.location ?? ''))?.[1]
  return { res, caseId, browser }
}

function partnerPost(w: CaseWorld, fields: Record<string, string>, idempotencyKey: string) {
  return w.app.inject({
    method: 'POST',
    url: '/open311/v2/requests.json',
    payload: new URLSearchParams({ service_code: 'MZ-01', last_name: '赵', first_name: '桂兰', phone: '13987654321', 'attribute[service_form]': 'proxy', ...fields }).toString(),
    headers: { 'content-type': 'application/x-www-form-urlencoded', 'idempotency-key': idempotencyKey },
  })
}

test("an agent who posts the station form with a partner's derived key does not swallow the partner's request, in its county or another", async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { open311RateLimitPerMinute: 100_000 })
  const county = await w.db.selectFrom('counties').select('code').where('id', '=', w.org.countyId).executeTakeFirstOrThrow()
  const { key, id: keyId } = await issueKey(w, w.org, '县12345热线')
  const station = w.org.villages[2]
  await w.db.updateTable('villages').set({ stationPhone: '0816-2222222' }).where('id', '=', station.id).execute()

  // The agent of the first station computes the key the hotline will send for its next request.
  const header = 'hotline-2026-0001'
  const claimed = await claimAtStation(w, w.agent, idempotencyKeyOf(`partner:${keyId}:${header}`), '抢号人')
  t.equal(claimed.res.statusCode, 303, "the agent's form files a case with that key")
  const agentCase = await w.db.selectFrom('cases').select(['caseNo', 'villageId']).where('id', '=', claimed.caseId!).executeTakeFirstOrThrow()

  const filed = await partnerPost(w, { api_key: key, jurisdiction_id: county.code, address_id: station.code }, header)
  t.equal(filed.statusCode, 201, "the partner's request is filed, not answered as a duplicate")
  const answer = (filed.json() as Json[])[0]
  const caseNo = answer.service_request_id as string
  t.not(caseNo, agentCase.caseNo, "the partner is not shown the agent's case number")
  t.match(caseNo, new RegExp(`^${station.code}-`), "a case of the station the partner named")
  t.match(answer.service_notice as string, /0816-2222222/, "and that station's phone")
  const partnerCase = await w.db.selectFrom('cases').select(['villageId', 'apiKeyId', 'channel', 'countyId']).where('caseNo', '=', caseNo).executeTakeFirstOrThrow()
  t.same(partnerCase, { villageId: station.id, apiKeyId: keyId, channel: 'hotline', countyId: w.org.countyId }, "the partner's own case, in its county")
  const retried = await partnerPost(w, { api_key: key, address_id: station.code }, header)
  t.equal(retried.statusCode, 200, "the partner's retry is still one request")
  t.equal((retried.json() as Json[])[0].service_request_id, caseNo, 'answered with its own case')

  // A second county's partner: the first county's agent claims its key number's derived key.
  const other = await makeOrg(w.db, ['civil_affairs'])
  await importCatalogue(w.db, null, other.countyId, demoCatalogue(), { demo: true })
  await makeUser(w.db, other, 'agent', { villageId: other.villages[0].id })
  const otherCounty = await w.db.selectFrom('counties').select('code').where('id', '=', other.countyId).executeTakeFirstOrThrow()
  const { key: otherKey, id: otherKeyId } = await issueKey(w, other, '乙县小程序')
  const claimedOther = await claimAtStation(w, w.agent, idempotencyKeyOf(`partner:${otherKeyId}:${header}`), '抢号人二')
  t.equal(claimedOther.res.statusCode, 303)
  const otherFiled = await partnerPost(w, { api_key: otherKey, jurisdiction_id: otherCounty.code, address_id: other.villages[0].code }, header)
  t.equal(otherFiled.statusCode, 201, "the other county's partner files its request")
  const otherNo = (otherFiled.json() as Json[])[0].service_request_id as string
  t.match(otherNo, new RegExp(`^${other.villages[0].code}-`), "in its own county's station, not the first county's case")
  t.match((otherFiled.json() as Json[])[0].service_notice as string, /0816-3267166/)
  t.equal((await w.db.selectFrom('cases').select('countyId').where('caseNo', '=', otherNo).executeTakeFirstOrThrow()).countyId, other.countyId)

  // The station's own form still files once when posted twice.
  const again = await claimedOther.browser.post('/cases', { idempotencyKey: idempotencyKeyOf(`partner:${otherKeyId}:${header}`), matterId: String(await w.matterId('MZ-01')), channel: 'station', serviceForm: 'proxy', decision: 'register', name: '抢号人二', phone: '13900001111', summary: '咨询' })
  t.equal(again.headers.location, claimedOther.res.headers.location, "a station's form posted again lands on its first case")
})

test("an agent cannot claim an import's natural key: the past case is still imported", async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { dataDir: await mkdtemp(path.join(tmpdir(), 'bianmin-import-')) })
  const dir = await mkdtemp(path.join(tmpdir(), 'bianmin-xlsx-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const village = w.org.villages[0]

  // The row's natural key is computable from the old ledger: county, station, ledger number, matter, date.
  const naturalKey = idempotencyKeyOf(['import-case', w.org.countyId, village.id, 'no:OLD-7', 'MZ-01', '2025-05-03'].join('\u0001'))
  const claimed = await claimAtStation(w, w.agent, naturalKey, '抢号人')
  t.equal(claimed.res.statusCode, 303, "the agent's form files a case with that key")

  const file = path.join(dir, '台账.xlsx')
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet('历史办件')
  sheet.addRow(CASES_HEADER)
  sheet.addRow([village.name, '导入人', '', '13911112222', '', 'MZ-01', '', '2025-05-03', '2025-05-03', '', '2025-05-20', '', '批准', 'OLD-7', '历史台账'])
  await workbook.xlsx.writeFile(file)

  const admin = await loggedIn(w, await makeUser(w.db, w.org, 'admin'))
  const done = await importWorkbook(w.app, admin, 'cases', file)
  t.match(done.body, /新增 1 条，0 条系统里已有/, 'the row is added, not taken for the agent\'s case')
  const imported = await w.db.selectFrom('caseEvents').innerJoin('cases', 'cases.id', 'caseEvents.caseId').select(['cases.registeredOn', 'cases.stage']).where('caseEvents.action', '=', 'imported').execute()
  t.same(imported, [{ registeredOn: '2025-05-03', stage: 'closed' }], 'the past case is in the system')

  t.match((await importWorkbook(w.app, admin, 'cases', file)).body, /新增 0 条，1 条系统里已有/, 'imported again: the natural key still refuses a second copy in the county')
})

test('the migration gives each existing case the scope of its issuer: its partner key, the import, else its station', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { dataDir: await mkdtemp(path.join(tmpdir(), 'bianmin-import-')), open311RateLimitPerMinute: 100_000 })
  const dir = await mkdtemp(path.join(tmpdir(), 'bianmin-xlsx-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const { key, id: keyId } = await issueKey(w, w.org, '县12345热线')
  t.equal((await partnerPost(w, { api_key: key, address_id: w.org.villages[0].code }, 'p-1')).statusCode, 201)
  await claimAtStation(w, w.otherAgent, idempotencyKeyOf('whatever'), '站内')
  const file = path.join(dir, '台账.xlsx')
  const workbook = new ExcelJS.Workbook()
  const sheet = workbook.addWorksheet('历史办件')
  sheet.addRow(CASES_HEADER)
  sheet.addRow([w.org.villages[0].name, '导入人', '', '13911112222', '', 'MZ-01', '', '2025-05-03', '2025-05-03', '', '2025-05-20', '', '批准', 'OLD-7', ''])
  await workbook.xlsx.writeFile(file)
  await importWorkbook(w.app, await loggedIn(w, await makeUser(w.db, w.org, 'admin')), 'cases', file)
  const scopes = async () => (await w.db.selectFrom('cases').select(['idempotencyScope']).orderBy('id').execute()).map((r) => r.idempotencyScope)
  const written = await scopes()
  t.same(written, [`partner:${keyId}`, `station:${w.org.villages[2].id}`, 'import'], 'as the code writes them')

  // The rows as they stood before the migration, without a scope; then its fill.
  await sql`alter table cases drop constraint cases_idempotency_scope_check, alter column idempotency_scope drop not null`.execute(w.db)
  await sql`update cases set idempotency_scope = null`.execute(w.db)
  await fillScopes(w.db)
  t.same(await scopes(), written, 'the migration fills the same')
})
