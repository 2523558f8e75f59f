import t from 'tap'
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'

/**
 * Stored XSS: a script saved in every free-text field a user can fill comes back escaped on every
 * page, print view, PDF and public notice that shows it; CSV cells are neutralised against formulas.
 */
const SCRIPT = '<script>alert("x")</script>'
const IMG = '<img src=x onerror=alert(1)>'
const ESCAPED_SCRIPT = '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;'
const raw = (body: string) => body.includes(SCRIPT) || body.includes(IMG)

t.test('a script saved in any text field renders as text everywhere', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00')
  const admin = await makeUser(w.db, w.org, 'admin')
  const agent = await loggedIn(w, w.agent)
  const adminBrowser = await loggedIn(w, admin)
  const matterId = await w.matterId('MZ-01')
  const materials = ['书面申请', '居民身份证', '受灾情况说明']

  // Saved through the forms, as a user would.
  const accepted = await submitIntake(agent, matterId, { ...APPLICANT, name: `${SCRIPT}张`, address: IMG, villageGroup: SCRIPT, summary: `${SCRIPT} ${IMG}`, materialsReceived: materials })
  t.equal(accepted.res.statusCode, 303, 'the intake with scripts in it is accepted as text')
  const rejected = await submitIntake(agent, matterId, { ...APPLICANT, idNumber: '440524198001010013', name: '李四', decision: 'reject', rejectReason: `${SCRIPT} 不属于代办范围` })
  t.equal(rejected.res.statusCode, 303)
  t.equal((await agent.post('/fees', { kind: 'collect', amount: '5.00', department: 'civil_affairs', payer: '=HYPERLINK("http://e")', note: `${SCRIPT}${IMG}` })).statusCode, 303, 'a fee whose payer is a formula and whose note is a script')
  t.equal((await agent.post('/visits', { time: '09:00', people: '1', purpose: 'consult', told: SCRIPT })).statusCode, 303)
  t.equal((await agent.post('/notices/announcements', { title: SCRIPT, body: `${IMG}\n第二行`, shownFrom: '2026-02-13', shownTo: '2026-02-20' })).statusCode, 303)
  t.equal((await agent.post('/notices/facts', { stationPhone: '0816-3261111', officeHours: SCRIPT })).statusCode, 303)
  t.equal((await adminBrowser.post('/admin/users', { username: 'xss.user', displayName: SCRIPT, role: 'agent', post: 'B', villageId: String(w.org.villages[0].id), phone: '', password: 'secret123' })).statusCode, 303)
  const applicantId = (await w.db.selectFrom('applicants').select('id').where('name', '=', `${SCRIPT}张`).executeTakeFirstOrThrow()).id
  const village = w.org.villages[0]

  const pages: [string, typeof agent][] = [
    [`/cases/${accepted.caseId}`, agent],
    [`/cases/${rejected.caseId}`, agent],
    ['/cases?q=' + encodeURIComponent('张'), agent],
    ['/', agent],
    ['/ledger', agent],
    ['/fees', agent],
    ['/visits', agent],
    [`/applicants/${applicantId}`, agent],
    ['/admin/users', adminBrowser],
    [`/board/${village.code}`, w.browser()],
    ...['one-time-notice', 'acceptance-notice'].map((doc) => [`/cases/${accepted.caseId}/documents/${doc}`, agent] as [string, typeof agent]),
    [`/cases/${rejected.caseId}/documents/rejection-notice`, agent],
  ]
  for (const [url, browser] of pages) {
    const res = await browser.get(url)
    t.equal(res.statusCode, 200, `${url} answers`)
    t.notOk(raw(res.body), `${url}: no script or handler comes back as markup`)
  }
  // The escaped text is really there (so the checks above are not vacuous).
  t.match((await agent.get(`/cases/${accepted.caseId}`)).body, ESCAPED_SCRIPT, 'the case page shows the summary as text')
  t.match((await w.browser().get(`/board/${village.code}`)).body, ESCAPED_SCRIPT, 'the public board shows the notice title as text')
  t.match((await adminBrowser.get('/admin/users')).body, ESCAPED_SCRIPT, 'the user list shows the name as text')
  t.match((await agent.get(`/cases/${rejected.caseId}/documents/rejection-notice`)).body, ESCAPED_SCRIPT, 'the print view shows the reason as text')

  // CSV: formulas are neutralised; the script is just text in a cell.
  const fees = await agent.get('/fees.csv')
  t.match(fees.body, `'=HYPERLINK(`, 'a payer starting with = is prefixed so spreadsheets do not run it')
  t.notMatch(fees.body, /(^|,)"?=HYPERLINK/m, 'no cell starts with the formula')
  const ledger = await agent.get('/ledger.csv')
  t.equal(ledger.statusCode, 200)

  // PDF: the reason prints as the characters typed.
  if (w.app.printing.available) {
    const pdf = await agent.get(`/cases/${rejected.caseId}/documents/rejection-notice/pdf`)
    t.equal(pdf.headers['content-type'], 'application/pdf')
    const file = path.join(mkdtempSync(path.join(tmpdir(), 'bianmin-xss-')), 'r.pdf')
    writeFileSync(file, pdf.rawPayload)
    const text = execFileSync('pdftotext', [file, '-'], { encoding: 'utf8' })
    t.match(text, '<script>alert("x")</script>', 'the PDF shows the script as text: it was escaped, not run')
  } else {
    t.fail('Chromium is installed (.ci/run installs it)')
  }
})
