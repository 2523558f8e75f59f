import t, { type Test } from 'tap'
import { setupCaseWorld, loggedIn, submitIntake, act, APPLICANT, townWindowId, type CaseWorld } from '../fixtures/cases.ts'
import type { Browser } from '../fixtures/browser.ts'
import type { MadeUser } from '../fixtures/factories.ts'

/**
 * The collaboration loop: every hand-over between the station, the window and the supervisor puts
 * a message in the inbox of whoever must act next, saying what is expected by when and linking to
 * where it is done; nobody else hears of it.
 */

const MATERIALS = ['书面申请', '居民身份证', '受灾情况说明']

/** The messages a user has, newest first, as the inbox lists them: text, link and whether still unread. */
async function inboxOf(w: CaseWorld, user: MadeUser) {
  return w.db.selectFrom('notifications').select(['kind', 'caseId', 'params', 'readAt']).where('userId', '=', user.id).orderBy('id', 'desc').execute()
}

/** Takes a step the way the case page's form does, and checks it went through. */
async function step(t: Test, who: Browser, caseId: string, action: string, fields: Record<string, string> = {}) {
  t.equal((await act(who, caseId, action, fields)).statusCode, 303, `${action} is taken`)
}

/** The inbox page as the user sees it: the message's words, linked to the page where it is acted on. */
async function inboxPage(who: Browser) {
  return (await who.get('/inbox')).body
}

t.test('forward, help asked and answered, extension asked and decided: each reaches the one who acts next', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const [agent, clerk, supervisor] = await Promise.all([loggedIn(w, w.agent), loggedIn(w, w.clerk), loggedIn(w, w.supervisor)])
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: MATERIALS })
  const civil = w.org.windows.find((x) => String(x.id) === townWindowId(w))!.name
  const caseNo = (await w.db.selectFrom('cases').select(['caseNo', 'completeDue']).where('id', '=', caseId!).executeTakeFirstOrThrow())
  const before = (await inboxOf(w, w.clerk)).length

  // The case reaches the window: its clerk is told, with the completion date; the other window's clerk is not.
  await step(t, agent, caseId!, 'forward', { windowId: townWindowId(w), method: 'online' })
  const [forwarded] = await inboxOf(w, w.clerk)
  t.equal((await inboxOf(w, w.clerk)).length, before + 1, 'one message for the window')
  t.same([forwarded.kind, forwarded.caseId, forwarded.readAt], ['case.forwarded', caseId, null])
  t.equal((await inboxOf(w, w.otherClerk)).length, 0, 'another window hears nothing')
  t.match((await clerk.get('/')).body, /href="\/inbox">[^<]*<span class="badge overdue">1<\/span>/, 'the unread badge counts it')
  let inbox = await inboxPage(clerk)
  t.match(inbox, `<a href="/cases/${caseId}">办件 ${caseNo.caseNo}（救灾救济办理）已报送本窗口，请签收并办理，办结时限 ${caseNo.completeDue}。</a>`, 'it says what to do by when, and links to the case')
  t.notMatch((await clerk.get('/')).body, 'class="badge overdue">1<', 'opening the inbox reads it')

  // The window asks for help: the agent is asked, with the date the answer is due.
  await step(t, clerk, caseId!, 'receive')
  await step(t, clerk, caseId!, 'ask_assist', { question: '请补村委会证明原件', dueDays: '2' })
  const [asked] = await inboxOf(w, w.agent)
  t.equal(asked.kind, 'assist.asked')
  t.same(asked.params, { caseNo: caseNo.caseNo, window: civil, question: '请补村委会证明原件', dueOn: '2026-03-04' })
  t.match(await inboxPage(agent), `<a href="/cases/${caseId}">${civil}就办件 ${caseNo.caseNo} 请求协办：“请补村委会证明原件”。请于 2026-03-04 前答复。</a>`)
  t.equal((await inboxOf(w, w.otherAgent)).length, 0, 'an agent of another village hears nothing')

  // The agent's worklist counts down to the answer, not to completion.
  const home = (await agent.get('/')).body
  const helpAsked = home.slice(home.indexOf('窗口请求协办'))
  t.match(helpAsked, /href="\/cases\/\d+#assists" class="badge [a-z_]+" title="协办答复期限">[^<]*2026-03-04/, 'the help-asked list shows the answer’s own due date')

  // The answer goes back to the window.
  await step(t, agent, caseId!, 'answer_assist', { answer: '原件已送窗口' })
  const [answered] = await inboxOf(w, w.clerk)
  t.same([answered.kind, answered.caseId], ['assist.answered', caseId])
  t.match(await inboxPage(clerk), `代办员已答复办件 ${caseNo.caseNo} 的协办请求，请继续办理，办结时限 ${caseNo.completeDue}。`)

  // An extension is asked for: the town's and the county's supervisors are asked to decide before the old date.
  await step(t, clerk, caseId!, 'request_extension', { newDue: '2026-04-10', reason: '需入户核查' })
  for (const s of [w.supervisor, w.countySupervisor]) t.equal((await inboxOf(w, s))[0]?.kind, 'extension.requested', `${s.username} is asked`)
  t.match(await inboxPage(supervisor), `${civil}申请将办件 ${caseNo.caseNo} 的办结时限由 ${caseNo.completeDue} 延至 2026-04-10（需入户核查），请于 ${caseNo.completeDue} 前审批。`)
  t.equal((await inboxOf(w, w.agent)).filter((n) => n.kind.startsWith('extension.')).length, 0, 'the agent is not asked')

  // Approved: the window has its new date, the agent must tell the applicant.
  await step(t, supervisor, caseId!, 'decide_extension', { decision: 'approved', note: '同意' })
  t.equal((await inboxOf(w, w.clerk))[0].kind, 'extension.approved')
  t.match(await inboxPage(clerk), `办件 ${caseNo.caseNo} 的延期申请已批准，办结时限改为 2026-04-10。`)
  t.equal((await inboxOf(w, w.agent))[0].kind, 'extension.tellApplicant')
  t.match(await inboxPage(agent), `<a href="/cases/${caseId}">办件 ${caseNo.caseNo} 已批准延期至 2026-04-10，请告知申请人并在办件中记录。</a>`)

  // Asked again and refused: the window is told the date that holds.
  await step(t, clerk, caseId!, 'request_extension', { newDue: '2026-04-30', reason: '仍需核查' })
  await step(t, supervisor, caseId!, 'decide_extension', { decision: 'refused', note: '理由不足' })
  t.equal((await inboxOf(w, w.clerk))[0].kind, 'extension.refused')
  t.match(await inboxPage(clerk), `办件 ${caseNo.caseNo} 的延期申请未获批准，请于原时限 2026-04-10 前办结。`)

  // In English the same message reads in English.
  await clerk.get('/lang/en?next=/inbox')
  inbox = await inboxPage(clerk)
  t.match(inbox, `The extension of case ${caseNo.caseNo} was refused: complete it by the original date, 2026-04-10.`)
})

t.test('a transfer reaches the new window; the agent hears where the case went', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const [agent, clerk, otherClerk] = await Promise.all([loggedIn(w, w.agent), loggedIn(w, w.clerk), loggedIn(w, w.otherClerk)])
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: MATERIALS })
  await step(t, agent, caseId!, 'forward', { windowId: townWindowId(w), method: 'online' })
  await step(t, clerk, caseId!, 'receive')
  const clerkHad = (await inboxOf(w, w.clerk)).length
  await step(t, clerk, caseId!, 'transfer', { windowId: townWindowId(w, 'labour'), reason: '属人社事项' })
  const [arrived] = await inboxOf(w, w.otherClerk)
  t.same([arrived.kind, arrived.caseId], ['case.transferred', caseId], 'the new window is told')
  t.match(await inboxPage(otherClerk), `由${w.org.windows.find((x) => String(x.id) === townWindowId(w))!.name}移送本窗口（属人社事项），请签收并办理，办结时限 `)
  t.equal((await inboxOf(w, w.clerk)).length, clerkHad, 'the window that passed it on is not')
  t.equal((await inboxOf(w, w.agent))[0].kind, 'case.transferredAgent')
})

t.test('a rectification: opened, returned and accepted, each message leads to the rectification', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const [agent, clerk, supervisor] = await Promise.all([loggedIn(w, w.agent), loggedIn(w, w.clerk), loggedIn(w, w.supervisor)])
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: MATERIALS })
  await step(t, agent, caseId!, 'forward', { windowId: townWindowId(w), method: 'online' })
  await step(t, clerk, caseId!, 'receive')
  await step(t, clerk, caseId!, 'complete', { outcome: 'refused', reason: '收入超标' })
  await step(t, agent, caseId!, 'reply', { how: 'phone', overall: 'dissatisfied', satisfaction: '2', efficiency: '2', competence: '3', attitude: '1', comment: '态度差' })
  const r = await w.db.selectFrom('rectifications').select(['id', 'dueOn']).executeTakeFirstOrThrow()
  const link = `<a href="/rectifications/${r.id}">`

  t.equal((await inboxOf(w, w.clerk))[0].kind, 'rectification.opened')
  t.match(await inboxPage(clerk), `${link}有一条差评需要整改（编号 ${r.id}），请于 ${r.dueOn} 前完成。</a>`, 'the window is told, linked to the rectification')
  t.equal((await clerk.post(`/rectifications/${r.id}/submit`, { callback: '已回访', fixed: '已培训', reply: '已致歉' })).statusCode, 303)
  t.equal((await inboxOf(w, w.supervisor))[0].kind, 'rectification.submitted', 'the supervisor is asked to review')
  t.match(await inboxPage(supervisor), `${link}整改 ${r.id} 已提交整改情况，请审核。</a>`)

  t.equal((await supervisor.post(`/rectifications/${r.id}/decide`, { decision: 'returned', note: '回访记录不完整' })).statusCode, 303)
  t.equal((await inboxOf(w, w.clerk))[0].kind, 'rectification.returned')
  t.match(await inboxPage(clerk), `${link}整改 ${r.id} 被退回：“回访记录不完整”。请于 ${r.dueOn} 前重新提交。</a>`, 'returned: why, and by when')

  t.equal((await clerk.post(`/rectifications/${r.id}/submit`, { callback: '已再次回访', fixed: '已培训', reply: '已致歉' })).statusCode, 303)
  t.equal((await supervisor.post(`/rectifications/${r.id}/decide`, { decision: 'accepted', note: '' })).statusCode, 303)
  t.match(await inboxPage(clerk), `${link}整改 ${r.id} 已审核通过，无需再办。</a>`, 'accepted: nothing more to do')
  t.equal((await inboxOf(w, w.otherClerk)).length, 0, 'another window hears nothing of it')
})
