import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setupCaseWorld, loggedIn, submitIntake, act, APPLICANT, townWindowId } from '../fixtures/cases.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'bianmin-reply-'))
function pdfText(pdf: Buffer, name: string): string {
  const file = path.join(dir, `${name}.pdf`)
  writeFileSync(file, pdf)
  return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' })
}

const INTERNAL = {
  forwardNote: '内部备注：申请人与村干部有矛盾',
  question: '请入户核实家庭收入，勿告知申请人',
  answer: '已核实：收入略高于标准，建议从严',
  reason: '经审核符合临时救助条件',
}

t.test('the completion reply a villager takes home shows nothing internal, and names the window with its town', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  await w.db.updateTable('windows').set({ name: '民政窗口' }).where('department', '=', 'civil_affairs').execute()
  const agent = await loggedIn(w, w.agent)
  const clerk = await loggedIn(w, w.clerk)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const step = async (browser: typeof agent, action: string, form: Record<string, string> = {}) => t.equal((await act(browser, caseId!, action, form)).statusCode, 303, action)
  await step(agent, 'forward', { windowId: townWindowId(w), method: 'paper', note: INTERNAL.forwardNote })
  await step(clerk, 'receive')
  await step(clerk, 'ask_assist', { question: INTERNAL.question })
  await step(agent, 'answer_assist', { answer: INTERNAL.answer })
  await step(clerk, 'complete', { outcome: 'approved', reason: INTERNAL.reason, handback: '救助金发放通知' })
  const row = await w.db.selectFrom('cases').select(['caseNo', 'replyDue', 'version', 'id']).where('id', '=', caseId!).executeTakeFirstOrThrow()
  const events = await w.db.selectFrom('caseEvents').select('note').where('caseId', '=', caseId!).where('note', '!=', '').execute()
  t.ok(events.some((e) => e.note === INTERNAL.question) && events.some((e) => e.note === INTERNAL.answer), 'the case does carry internal notes')

  const html = (await agent.get(`/cases/${caseId}/documents/completion-reply`)).body
  // The print bar (links back to the case, hidden on paper) is not part of the document.
  const paper = html.replace(/<div class="print-bar">.*?<\/div>/s, '')
  const pdf = pdfText((await agent.get(`/cases/${caseId}/documents/completion-reply/pdf`)).rawPayload, 'reply')
  for (const [label, text] of [['print view', paper], ['PDF', pdf]] as const) {
    t.match(text, '办结回复单', `${label}: the reply slip`)
    t.match(text, row.caseNo, `${label}: the case number the villager looks it up by`)
    t.match(text, '张*三', `${label}: the masked name`)
    t.match(text, INTERNAL.reason, `${label}: the result explanation written for the applicant`)
    t.match(text, '救助金发放通知', `${label}: what is handed back`)
    t.match(text, '第1镇 · 民政窗口', `${label}: the window with its town`)
    for (const note of [INTERNAL.forwardNote, INTERNAL.question, INTERNAL.answer]) t.notMatch(text, note, `${label}: no internal note (${note.slice(0, 6)}…)`)
    t.notMatch(text, APPLICANT.name, `${label}: no full name`)
    t.notMatch(text, APPLICANT.idNumber, `${label}: no ID number`)
    t.notMatch(text, APPLICANT.idNumber.slice(-4), `${label}: not even part of it`)
    t.notMatch(text, APPLICANT.phone, `${label}: no full phone`)
    t.notMatch(text, APPLICANT.address, `${label}: no address`)
    t.notMatch(text, row.replyDue!, `${label}: no staff deadline (the reply due date)`)
    t.notMatch(text, /回复期限|version|版本/, `${label}: no staff-only field`)
  }
  t.notMatch(paper, new RegExp(`/cases/${row.id}\\b`), 'no internal link or id on the paper itself')

  const slip = pdfText((await agent.get(`/cases/${caseId}/documents/forwarding-slip/pdf`)).rawPayload, 'slip')
  t.match(slip, /报送至\s+第1镇 · 民政窗口/, 'the forwarding slip names the window with its town')
})
