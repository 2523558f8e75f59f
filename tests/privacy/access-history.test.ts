import t from 'tap'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import { findActor } from '../../server/accounts/users.repository.ts'
import { recordAccess } from '../../server/privacy/access-log.ts'
import type { CaseWorld } from '../fixtures/cases.ts'

// Issue 21 (PIPL): who saw a person's data is on the person file for supervisors and administrators,
// and in the access report the station prints for the villager; printing that report is recorded too.

t.setTimeout(300_000)

const at = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`)
const actorOf = async (w: CaseWorld, id: number) => (await findActor(w.db, id))!
const reportRows = (w: CaseWorld, applicantId: number) =>
  w.db.selectFrom('personalDataAccess').select(['actorId', 'page']).where('kind', '=', 'report').where('applicantId', '=', applicantId).orderBy('id').execute()

async function world(t: Parameters<typeof setupCaseWorld>[0]) {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agentBrowser = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agentBrowser, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const { applicantId } = await w.db.selectFrom('cases').select('applicantId').where('id', '=', caseId!).executeTakeFirstOrThrow()
  // Another applicant of the same village: an export of them alone is no access to the first.
  const other = await w.db.insertInto('applicants').values({ countyId: w.org.countyId, villageId: w.org.villages[0].id, name: '赵其他', phone: '13900000001' }).returning('id').executeTakeFirstOrThrow()
  const admin = await makeUser(w.db, w.org, 'admin', { displayName: '钱管理' })
  await w.db.updateTable('users').set({ displayName: '孙督查' }).where('id', '=', w.supervisor.id).execute()
  const supervisor = await actorOf(w, w.supervisor.id)
  await recordAccess(w.db, supervisor, { kind: 'reveal', applicantId, field: 'id_number', page: `/applicants/${applicantId}` }, at('2026-02-20 10:15'))
  await recordAccess(w.db, await actorOf(w, admin.id), { kind: 'export', exportName: 'ledger.csv', page: '/ledger.csv', rowCount: 12, applicantIds: [other.id, applicantId] }, at('2026-02-25 16:40'))
  await recordAccess(w.db, supervisor, { kind: 'reveal', applicantId, field: 'phone', page: `/cases/${caseId}?tab=1` }, at('2026-03-01 08:05'))
  await recordAccess(w.db, await actorOf(w, admin.id), { kind: 'export', exportName: 'visits', page: '/visits.csv', rowCount: 1, applicantIds: [other.id] }, at('2026-03-01 09:00'))
  return { w, agentBrowser, applicantId, admin }
}

t.test('the person file lists who saw the data, newest first, to a supervisor and an administrator; an agent sees only the report link', async (t) => {
  const { w, agentBrowser, applicantId, admin } = await world(t)
  for (const reader of [w.supervisor, admin]) {
    const page = await (await loggedIn(w, reader)).get(`/applicants/${applicantId}`)
    t.equal(page.statusCode, 200)
    const history = page.body.slice(page.body.indexOf('access-history-title'))
    t.match(history, /个人信息查阅记录 \(3\)/, 'three accesses concern this applicant')
    t.match(history, /2026-03-01 08:05<\/td><td>孙督查（监督员）<\/td><td>查看了完整的联系电话<\/td><td>办件详情<\/td>/, 'a reveal: when (local time), who, which field, from which page')
    t.match(history, /2026-02-25 16:40<\/td><td>钱管理（系统管理员）<\/td><td>导出“台账 · CSV”，共 12 行<\/td><td>台账<\/td>/, 'an export that carried the applicant, with its row count')
    t.match(history, /2026-02-20 10:15<\/td><td>孙督查（监督员）<\/td><td>查看了完整的身份证号<\/td><td>一人一档<\/td>/)
    t.ok(history.indexOf('2026-03-01 08:05') < history.indexOf('2026-02-25 16:40') && history.indexOf('2026-02-25 16:40') < history.indexOf('2026-02-20 10:15'), 'newest first')
    t.notMatch(history, /接待登记|2026-03-01 09:00/, "an export of another applicant only is not this applicant's")
    t.notMatch(history, /tab=1/, "a page's query is not shown (it may carry what was searched for)")
    t.match(history, `href="/applicants/${applicantId}/access-report?confirm=`)
  }
  const asAgent = await agentBrowser.get(`/applicants/${applicantId}`)
  t.equal(asAgent.statusCode, 200)
  t.notMatch(asAgent.body, /孙督查|查看了完整的|个人信息查阅记录 \(/, 'an agent does not see who looked')
  t.match(asAgent.body, `href="/applicants/${applicantId}/access-report?confirm=`, 'the agent can print the report for the villager')
})

t.test('the access report lists every access plainly, masks the person, and is itself recorded once per report', async (t) => {
  const { w, agentBrowser, applicantId } = await world(t)
  t.same(await reportRows(w, applicantId), [], 'no report yet')
  const res = await agentBrowser.get(`/applicants/${applicantId}/access-report`)
  t.equal(res.statusCode, 200)
  t.match(res.body, /张\*三/, 'the masked name')
  t.match(res.body, /110105\*{11}X/, 'the masked ID number')
  t.notMatch(res.body, APPLICANT.idNumber, 'not the full ID number')
  t.notMatch(res.body, APPLICANT.name, 'not the full name')
  t.match(res.body, /第1镇 · 第1镇1村/, 'the station')
  t.match(res.body, /全部记录/, 'the period: all')
  t.match(res.body, /生成时间<\/dt><dd>2026-03-02 09:00/, 'generated when')
  t.match(res.body, /2026-02-20 10:15<\/td><td>孙督查（监督员）<\/td><td>查看了完整的身份证号<\/td><td>一人一档<\/td>/)
  t.match(res.body, /钱管理（系统管理员）<\/td><td>导出“台账 · CSV”，共 12 行/)
  t.ok(res.body.indexOf('2026-02-20 10:15') < res.body.indexOf('2026-03-01 08:05'), 'oldest first, as a record is read')
  t.match(res.body, /共 3 条记录/)
  t.same(await reportRows(w, applicantId), [{ actorId: w.agent.id, page: `/applicants/${applicantId}/access-report` }], 'one report record')

  // The next report lists the first one; a period leaves out what is outside it.
  const again = await agentBrowser.get(`/applicants/${applicantId}/access-report?from=2026-03-01&to=2026-03-02`)
  t.equal(again.statusCode, 200)
  t.match(again.body, /2026-03-01 至 2026-03-02/)
  t.match(again.body, /王代办（代办员）<\/td><td>打印了查阅记录报告/, 'the earlier report is an access like any other')
  t.notMatch(again.body, /2026-02-20 10:15|导出“台账”/, 'accesses before the period are left out')
  t.match(again.body, /共 2 条记录/)
  t.equal((await reportRows(w, applicantId)).length, 2)

  // A period that makes no sense is said so; no report is made, none recorded.
  const bad = await agentBrowser.get(`/applicants/${applicantId}/access-report?from=2026-03-02&to=2026-03-01`)
  t.equal(bad.statusCode, 400)
  t.match(bad.body, /结束日期不能早于开始日期/)
  const worse = await agentBrowser.get(`/applicants/${applicantId}/access-report?from=2026-02-30`)
  t.equal(worse.statusCode, 400)
  t.match(worse.body, /请填写有效日期/)
  t.equal((await reportRows(w, applicantId)).length, 2)

  // Another village's agent: no such record, and nothing written.
  const foreign = await (await loggedIn(w, w.otherAgent)).get(`/applicants/${applicantId}/access-report`)
  t.equal(foreign.statusCode, 404)
  t.notMatch(foreign.body, /孙督查|张\*三/)
  const foreignPdf = await (await loggedIn(w, w.otherAgent)).get(`/applicants/${applicantId}/access-report/pdf`)
  t.equal(foreignPdf.statusCode, 404)
  const clerk = await (await loggedIn(w, w.clerk)).get(`/applicants/${applicantId}/access-report`)
  t.equal(clerk.statusCode, 403, 'a window clerk is not the station')
  t.equal((await reportRows(w, applicantId)).length, 2)

  // The printed report (PDF) is recorded the same way.
  t.ok(w.app.printing.available, 'Chromium renders the PDF')
  const pdf = await (await loggedIn(w, w.supervisor)).get(`/applicants/${applicantId}/access-report/pdf`)
  t.equal(pdf.statusCode, 200)
  t.equal(pdf.headers['content-type'], 'application/pdf')
  const rows = await reportRows(w, applicantId)
  t.equal(rows.length, 3)
  t.same(rows[2], { actorId: w.supervisor.id, page: `/applicants/${applicantId}/access-report/pdf` })
})
