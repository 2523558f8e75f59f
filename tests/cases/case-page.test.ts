import t from 'tap'
import { setupCaseWorld, loggedIn, submitIntake, act, versionOn, APPLICANT, townWindowId } from '../fixtures/cases.ts'

/**
 * The case page as its users meet it: the steps allowed now, refusals set apart; a failed step
 * brings the user back to that form with every problem listed and linked; completing over an
 * unanswered request for help is a choice confirmed; the page reads as a receipt.
 */

const MATERIALS = ['书面申请', '居民身份证', '受灾情况说明']

async function caseInProgress(t: Parameters<typeof setupCaseWorld>[0]) {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const [agent, clerk] = await Promise.all([loggedIn(w, w.agent), loggedIn(w, w.clerk)])
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: MATERIALS })
  await act(agent, caseId!, 'forward', { windowId: townWindowId(w), method: 'online' })
  await act(clerk, caseId!, 'receive')
  return { w, agent, clerk, caseId: caseId! }
}

t.test('the steps allowed now are buttons; refusing is set apart; the page reads as a receipt', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证'], decision: 'register' })
  const page = (await agent.get(`/cases/${caseId}`)).body
  t.match(page, /<details class="step" id="step-accept" >\s*<summary>受理<\/summary>/, 'accepting is a step button')
  t.match(page, /<details class="step ending" id="step-reject" >\s*<summary>不予受理<\/summary>/, 'refusing is styled apart')
  t.match(page, `<form method="post" action="/cases/${caseId}/accept#step-accept"`, 'a sent form comes back to itself')
  t.match(page, '<button type="submit">确认受理</button>')
  t.match(page, '<button type="submit" class="ending">确认不予受理</button>')
  t.ok(page.indexOf('id="step-accept"') < page.indexOf('<h2>申请人</h2>'), 'the steps come before the details')
  t.match(page, /<h3 class="sub">已收到<\/h3>\s*<ul class="materials held"><li><span aria-hidden="true">✓<\/span> 书面申请/, 'what the station holds')
  t.match(page, /<h3 class="sub">尚缺<\/h3>\s*<ul class="materials owed"><li><span aria-hidden="true">✗<\/span> 受灾情况说明/, 'what is still owed')
  t.match(page, /<h2>材料<\/h2>\s*<h3 class="sub">已收到/, 'the record is headed as what was received, not as the intake form’s checklist')
  t.match(page, '<dt>住址</dt><dd>高桥村三组 12 号</dd>', 'the applicant’s address')
})

t.test('a failed step returns to its form: every problem listed and linked, the values kept, nothing written', async (t) => {
  const { w, clerk, caseId } = await caseInProgress(t)
  t.equal((await act(clerk, caseId, 'ask_assist', { question: '请补村委会证明原件', dueDays: '2' })).statusCode, 303)

  const page = await clerk.get(`/cases/${caseId}`)
  t.match(page.body, /<strong>请求协办<\/strong><br><span class="note">请补村委会证明原件/, 'the timeline names the step')
  t.notMatch(page.body, '办理中 → 办理中', 'and does not repeat the stage')
  t.match(page.body, '这个办件还有一条协办请求未获服务站答复', 'the completion form warns of the open request')

  const failed = await clerk.post(`/cases/${caseId}/complete`, { version: versionOn(page.body), outcome: 'refused', reason: '', handback: '户口簿' })
  t.equal(failed.statusCode, 400)
  t.match(failed.body, /<details class="step" id="step-complete" open>/, 'the failed step’s form is open')
  const summary = /<div class="form-error error-summary" role="alert">([\s\S]*?)<\/div>/.exec(failed.body)?.[1] ?? ''
  t.match(summary, '这一步没有办成，请修改下列内容后再确认')
  t.match(summary, '<a href="#complete-confirmOpenAssist">协办：协办请求尚未答复：如确要办结，请勾选确认。</a>')
  t.match(summary, '<a href="#complete-reason">结果说明（不予批准、转办、作废时必填）：请写明结果说明。</a>', 'both problems at once, each named by its label')
  for (const href of summary.matchAll(/href="#([^"]+)"/g)) t.match(failed.body, `id="${href[1]}"`, `the link to ${href[1]} leads to a field`)
  t.match(failed.body, '<option value="refused" selected>', 'the chosen outcome is kept')
  t.match(failed.body, '>户口簿</textarea>', 'the papers typed are kept')
  const row = await w.db.selectFrom('cases').select('stage').where('id', '=', caseId).executeTakeFirstOrThrow()
  t.equal(row.stage, 'in_progress', 'nothing written')

  // Confirmed: completed, the request withdrawn, the agent told and the help list emptied.
  const done = await clerk.post(`/cases/${caseId}/complete`, { version: versionOn(failed.body), outcome: 'refused', reason: '收入超标', confirmOpenAssist: 'on' })
  t.equal(done.statusCode, 303)
  t.equal(done.headers.location, `/cases/${caseId}#case`, 'a step done lands on the case’s head')
  const assist = await w.db.selectFrom('caseAssists').select(['answer', 'withdrawnAt']).where('caseId', '=', caseId).executeTakeFirstOrThrow()
  t.ok(assist.withdrawnAt && assist.answer === null, 'the request is withdrawn, not answered')
  const [told] = await w.db.selectFrom('notifications').select(['kind', 'caseId']).where('userId', '=', w.agent.id).orderBy('id', 'desc').execute()
  t.same(told, { kind: 'assist.withdrawn', caseId }, 'the agent is told')
  const agent = await loggedIn(w, w.agent)
  const home = (await agent.get('/')).body
  t.notMatch(home, '窗口请求协办', 'the agent has no help left to give')
  t.match(home, '待回复申请人')
  t.match((await agent.get(`/cases/${caseId}`)).body, '窗口未等答复已办结，此请求撤回')
  const event = await w.db.selectFrom('caseEvents').select('data').where('caseId', '=', caseId).where('action', '=', 'complete').executeTakeFirstOrThrow()
  t.match(event.data, { assistWithdrawn: true }, 'the event records it')
})

t.test('papers to hand back disappear once ticked off; the rating’s details are shown to the agent, never to the window', async (t) => {
  const { agent, clerk, caseId } = await caseInProgress(t)
  t.equal((await act(clerk, caseId, 'complete', { outcome: 'approved', handback: '户口簿\n身份证' })).statusCode, 303)
  let page = (await agent.get(`/cases/${caseId}`)).body
  t.match(page, '<dt>待交还的证照材料</dt><dd>户口簿、身份证</dd>')
  t.equal((await act(agent, caseId, 'reply', { how: 'phone', returned: '户口簿', overall: 'dissatisfied', satisfaction: '2', efficiency: '3', competence: '4', attitude: '1', comment: '等太久' })).statusCode, 303)
  page = (await agent.get(`/cases/${caseId}`)).body
  t.match(page, '<dt>待交还的证照材料</dt><dd>身份证</dd>', 'only what is still to give back')
  t.match(page, /<dt>评价<\/dt><dd><strong>不满意<\/strong>/)
  t.match(page, '整体满意度 2 · 服务效率 3 · 服务水平 4 · 服务态度 1', 'the four indicators')
  t.match(page, '“等太久”', 'and the comment')
  const clerkPage = (await clerk.get(`/cases/${caseId}`)).body
  t.notMatch(clerkPage, '等太久', 'the window never sees how it was rated')
  t.notMatch(clerkPage, '<dt>评价</dt>')

})
