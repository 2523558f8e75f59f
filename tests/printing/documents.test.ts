import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import QRCode from 'qrcode'
import { setupCaseWorld, loggedIn, submitIntake, versionOn, APPLICANT, townWindowId } from '../fixtures/cases.ts'
import { CASE_DOCUMENTS } from '../../server/cases/case-documents.ts'

const dir = mkdtempSync(path.join(tmpdir(), 'bianmin-pdf-'))
function pdfText(pdf: Buffer, name: string): { text: string; pages: number } {
  const file = path.join(dir, `${name}.pdf`)
  writeFileSync(file, pdf)
  const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' })
  const info = execFileSync('pdfinfo', [file], { encoding: 'utf8' })
  return { text, pages: Number(/Pages:\s+(\d+)/.exec(info)![1]) }
}

const MATERIALS = ['书面申请', '居民身份证', '户口簿', '家庭收入状况证明', '家庭财产申报及授权核对书']

t.test('every document renders to a PDF that reads correctly in Chinese', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00')
  t.ok(w.app.printing.available, 'Chromium is installed (.ci/run installs it)')
  const agent = await loggedIn(w, w.agent)
  const clerk = await loggedIn(w, w.clerk)
  const supervisor = await loggedIn(w, w.supervisor)
  const matterId = await w.matterId('MZ-03')

  // One case through every step that produces a document.
  const { caseId } = await submitIntake(agent, matterId, { ...APPLICANT, materialsReceived: MATERIALS })
  let page = await agent.get(`/cases/${caseId}`)
  const windowId = townWindowId(w)
  await agent.post(`/cases/${caseId}/forward`, { version: versionOn(page.body), windowId, method: 'paper', materialsSent: MATERIALS })
  page = await clerk.get(`/cases/${caseId}`)
  await clerk.post(`/cases/${caseId}/receive`, { version: versionOn(page.body) })
  page = await clerk.get(`/cases/${caseId}`)
  await clerk.post(`/cases/${caseId}/request_extension`, { version: versionOn(page.body), newDue: '2026-04-10', reason: '需入户核查' })
  page = await supervisor.get(`/cases/${caseId}`)
  await supervisor.post(`/cases/${caseId}/decide_extension`, { version: versionOn(page.body), decision: 'approved' })
  page = await clerk.get(`/cases/${caseId}`)
  await clerk.post(`/cases/${caseId}/complete`, { version: versionOn(page.body), outcome: 'approved', handback: '低保证' })
  // A second case, rejected, and a third, awaiting materials.
  const rejected = await submitIntake(agent, await w.matterId('MZ-99'), { ...APPLICANT, idNumber: '', decision: 'register', name: '李四', phone: '13700001111' })
  const waiting = await submitIntake(agent, matterId, { name: '王五', phone: '13700002222', idNumber: '440524198001010013', materialsReceived: ['书面申请'] })
  t.equal(waiting.res.statusCode, 303, 'the third case is taken in')

  const caseNo = (await w.db.selectFrom('cases').select('caseNo').where('id', '=', caseId!).executeTakeFirstOrThrow()).caseNo
  page = await agent.get(`/cases/${caseId}`)
  const expected: Record<string, string[]> = {
    'one-time-notice': ['一次性告知单', '家庭收入状况证明', '必需材料已齐全'],
    'acceptance-notice': ['代办件受理通知书', '承诺办结日期', '2026-04-10'],
    'forwarding-slip': ['代办件报送联系单', '报送至', '家庭财产申报及授权核对书'],
    'extension-notice': ['延期办理告知书', '2026-04-10'],
    'completion-reply': ['办结回复单', '批准', '低保证'],
  }
  for (const [doc, phrases] of Object.entries(expected)) {
    t.match(page.body, `/cases/${caseId}/documents/${doc}/pdf`, `the case page offers ${doc}`)
    const res = await agent.get(`/cases/${caseId}/documents/${doc}/pdf`)
    t.equal(res.statusCode, 200, doc)
    t.equal(res.headers['content-type'], 'application/pdf')
    const { text, pages } = pdfText(res.rawPayload, doc)
    t.equal(pages, 1, `${doc} fits one A4 page`)
    t.match(text, caseNo, `${doc} shows the case number`)
    t.match(text, '张*三', `${doc} shows the masked applicant name`)
    t.notMatch(text, '张小三', `${doc} never shows the full name`)
    t.notMatch(text, '11010519491231002X', `${doc} never shows the ID number`)
    t.match(text, w.org.villages[0].name, 'the station is named')
    for (const phrase of phrases) t.match(text, phrase, `${doc}: ${phrase}`)
    t.notMatch(text, /\uFFFD|□/, `${doc} has no missing glyphs`)
  }
  const rejection = pdfText((await agent.get(`/cases/${rejected.caseId}/documents/rejection-notice/pdf`)).rawPayload, 'rejection')
  t.match(rejection.text, '不予受理告知书')
  t.match(rejection.text, '须男女双方本人亲自')
  t.match(rejection.text, '李*')
  const supplement = pdfText((await agent.get(`/cases/${waiting.caseId}/documents/supplement-notice/pdf`)).rawPayload, 'supplement')
  t.match(supplement.text, '补正材料告知书')
  for (const missing of ['户口簿', '家庭收入状况证明', '家庭财产申报及授权核对书']) t.match(supplement.text, missing)

  t.equal((await agent.get(`/cases/${caseId}/documents/rejection-notice/pdf`)).statusCode, 404, 'a document that does not apply is not there')
  t.equal((await (await loggedIn(w, w.otherAgent)).get(`/cases/${caseId}/documents/acceptance-notice/pdf`)).statusCode, 404, 'out of scope')
  t.ok(w.app.printing.rendered >= CASE_DOCUMENTS.length, 'one browser rendered them all')
})

t.test('the HTML print view is the same document, with the QR code of the public lookup', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 10:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const caseNo = (await w.db.selectFrom('cases').select('caseNo').where('id', '=', caseId!).executeTakeFirstOrThrow()).caseNo
  const res = await agent.get(`/cases/${caseId}/documents/acceptance-notice`)
  t.equal(res.statusCode, 200)
  t.match(res.body, '代办件受理通知书')
  t.match(res.body, '张*三')
  const lookupUrl = `${w.config.publicBaseUrl}/lookup?no=${caseNo}`
  t.match(res.body, lookupUrl.replaceAll('=', '&#x3D;'), 'the lookup address is printed')
  // With the 4-module quiet zone the QR standard asks for (it was printed with none).
  const qr = await QRCode.toString(lookupUrl, { type: 'svg', margin: 4, errorCorrectionLevel: 'M' })
  t.ok(res.body.includes(qr), 'the QR code encodes the lookup address of this case')
  const size = QRCode.create(lookupUrl, { errorCorrectionLevel: 'M' }).modules.size
  const svg = /<svg[^>]*viewBox="0 0 (\d+) \1"[^>]*><path fill="#ffffff" d="M0 0h\1v\1H0z"\/><path stroke="#000000" d="([^"]+)"/.exec(res.body)
  t.ok(svg, 'the code is drawn on a white square')
  t.equal(Number(svg![1]), size + 8, 'the white square is 4 modules wider than the code on each side')
  const starts = [...svg![2].matchAll(/M(\d+) (\d+(?:\.\d+)?)/g)].map((m) => [Number(m[1]), Number(m[2])])
  t.ok(starts.every(([x, y]) => x >= 4 && y >= 4 && y <= size + 4), 'no dark module in the quiet zone')
  const lookup = await w.browser().get(`/lookup?no=${caseNo}`)
  t.match(lookup.body, `value="${caseNo}"`, 'the QR code opens the lookup with the number filled in')
  t.notMatch(res.body, /<script/, 'no script in documents')
})
