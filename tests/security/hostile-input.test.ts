import t from 'tap'
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import Handlebars from 'handlebars'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT, townWindowId } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import type { Browser } from '../fixtures/browser.ts'
import { tableFingerprint } from '../fixtures/fingerprint.ts'

/**
 * Every form, fed hostile values: never a 5xx, a refusal is a page with a message (not a stack
 * trace or JSON), a refused request writes nothing, and what the user typed is shown back.
 * The POST routes come from Fastify's route table and their fields from the routes' own body
 * schemas, so a new form is fuzzed without touching this file.
 */

/** A seeded generator: the same strings on every run, so a failure can be replayed. */
function seeded(seed: number) {
  let a = seed
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let x = Math.imul(a ^ (a >>> 15), a | 1)
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61)
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296
  }
}
// Thousands of requests, each followed by a look at every table: more than tap's default 30 s.
t.setTimeout(10 * 60_000)

const random = seeded(20261124)
const randomString = (length: number) =>
  Array.from({ length }, () => {
    const r = random()
    // ASCII, CJK, emoji, combining marks and the C0 controls, mixed.
    const code = r < 0.3 ? 32 + Math.floor(random() * 95) : r < 0.6 ? 0x4e00 + Math.floor(random() * 0x5000) : r < 0.75 ? 0x1f300 + Math.floor(random() * 0x300) : r < 0.9 ? 0x300 + Math.floor(random() * 0x70) : Math.floor(random() * 32)
    return String.fromCodePoint(code)
  }).join('')

const XSS = '<script>alert("xss")</script>'
const XSS_IMG = '"><img src=x onerror=alert(1)>'
const HOSTILE: (string | string[])[] = [
  'x'.repeat(10_000),
  '长'.repeat(1_001),
  '\u0000\u0001\u0007\u001b[31m\u007f',
  '👩‍🌾🎉🏮 办事',
  '\u202Eتجربة\u202C עברית',
  "' or '1'='1'; drop table cases; --",
  XSS,
  XSS_IMG,
  '{{constructor.constructor("return process")()}}',
  '=HYPERLINK("http://evil.example","点我")',
  '-1',
  '0',
  '1e309',
  '99999999999999999999999999',
  '2026-02-30',
  '0000-00-00',
  ' ',
  '',
  'null',
  '%00%0d%0a',
  '../../../etc/passwd',
  '\r\n\r\nSet-Cookie: owned=1',
  ['1', '2'],
  ['<b>a</b>', 'b', 'c'],
  ...Array.from({ length: 8 }, (_, i) => randomString(5 + i * 37)),
]

// As the templates escape it.
const escapeHtml = (s: string) => Handlebars.Utils.escapeExpression(s)
const RAW_PAYLOADS = [XSS, '<img src=x onerror=alert(1)>', '<b>a</b>']

interface Probe {
  url: string
  form: Record<string, string | string[]>
  status: number
  body: string
}

t.test('hostile values in every form: no 5xx, a message, nothing written, the values kept', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00', { loginRateLimitPerMinute: 100_000, lookupRateLimitPerMinute: 100_000 })
  const admin = await makeUser(w.db, w.org, 'admin')
  const agent = await loggedIn(w, w.agent)
  const clerk = await loggedIn(w, w.clerk)
  const supervisor = await loggedIn(w, w.supervisor)
  const adminBrowser = await loggedIn(w, admin)
  const anonymous = w.browser()
  await anonymous.get('/lookup')
  const matterId = await w.matterId('MZ-01')
  const materials = ['书面申请', '居民身份证', '受灾情况说明']
  const { caseId } = await submitIntake(agent, matterId, { ...APPLICANT, materialsReceived: materials })
  const caseNo = (await w.db.selectFrom('cases').select('caseNo').where('id', '=', caseId!).executeTakeFirstOrThrow()).caseNo
  const fee = await agent.post('/fees', { kind: 'collect', amount: '10.00', department: 'civil_affairs', payer: '张三' })
  t.equal(fee.statusCode, 303, 'a fee to reverse')
  const feeId = (await w.db.selectFrom('feeEntries').select('id').executeTakeFirstOrThrow()).id
  const announcement = await agent.post('/notices/announcements', { title: '停电通知', body: '周三停电', shownFrom: '2026-02-13', shownTo: '2026-02-20' })
  t.equal(announcement.statusCode, 303, 'a notice to withdraw')
  const noticeId = (await w.db.selectFrom('notices').select('id').executeTakeFirstOrThrow()).id

  // Who posts to each route, and the id its path needs.
  const browserFor = (roles: readonly string[] | null, isPublic: boolean): Browser =>
    isPublic ? anonymous : roles?.includes('agent') ? agent : roles?.includes('clerk') ? clerk : roles?.includes('supervisor') ? supervisor : roles?.includes('admin') ? adminBrowser : agent
  const fill = (url: string) =>
    url
      .replace('/cases/:id/', `/cases/${caseId}/`)
      .replace('/fees/:id', `/fees/${feeId}`)
      .replace('/notices/:id', `/notices/${noticeId}`)
      .replace('/admin/users/:id', `/admin/users/${w.agent.id}`)
      .replace('/admin/org/towns/:id', `/admin/org/towns/${w.org.towns[0].id}`)
      .replace('/admin/org/villages/:id', `/admin/org/villages/${w.org.villages[0].id}`)
      .replace('/admin/org/windows/:id', `/admin/org/windows/${townWindowId(w)}`)
      .replace('/admin/matters/:id', `/admin/matters/${matterId}`)
      .replace('/rectifications/:id', '/rectifications/1')

  // Valid forms for the main ones: one field at a time is made hostile, so the rules behind the
  // schema (ID numbers, dates, money, case numbers) see the values too.
  const baselines: Record<string, { browser: Browser; form: () => Record<string, string | string[]>; text: string[] }> = {
    '/cases': {
      browser: agent,
      form: () => ({ idempotencyKey: randomUUID(), matterId: String(matterId), channel: 'station', serviceForm: 'proxy', decision: 'decide', ...APPLICANT, idNumber: '', applicantId: '', materialsReceived: materials, summary: '申请救助' }),
      text: ['name', 'address', 'villageGroup', 'summary'],
    },
    '/fees': { browser: agent, form: () => ({ kind: 'collect', amount: '12.50', department: 'civil_affairs', payer: '李四', caseNo: '', note: '' }), text: ['payer', 'note'] },
    '/visits': { browser: agent, form: () => ({ time: '09:30', people: '2', purpose: 'consult', told: '已告知', caseNo: '' }), text: ['told'] },
    '/notices/announcements': { browser: agent, form: () => ({ title: '通知', body: '内容', shownFrom: '2026-02-13', shownTo: '2026-02-20' }), text: ['title', 'body'] },
    '/notices/facts': { browser: agent, form: () => ({ stationPhone: '0816-3261111', officeHours: '周一至周五' }), text: ['officeHours'] },
    '/lookup': { browser: anonymous, form: () => ({ no: caseNo, tail: '5678' }), text: [] },
    '/admin/users': { browser: adminBrowser, form: () => ({ username: `u${randomUUID().slice(0, 8)}`, displayName: '新用户', role: 'agent', post: 'A', villageId: String(w.org.villages[0].id), phone: '', password: 'secret123' }), text: ['displayName'] },
    '/cases/:id/:action': { browser: agent, form: () => ({ version: '1', windowId: townWindowId(w), method: 'paper', materialsSent: materials, note: '' }), text: [] },
  }

  const posts = w.app.routeTable.filter((r) => r.method === 'POST' && r.url !== '/logout')
  t.ok(posts.length > 30, `${posts.length} POST routes`)
  let tried = 0
  let refused = 0
  let keptChecked = 0
  const problems: string[] = []
  let before = await tableFingerprint(w.db)
  const send = async (browser: Browser, url: string, form: Record<string, string | string[]>, label: string, kept: { field: string; value: string }[] = []) => {
    const res = await browser.post(url, form)
    tried++
    const body = res.body
    if (res.statusCode >= 500) problems.push(`${label}: ${res.statusCode}`)
    if (RAW_PAYLOADS.some((p) => body.includes(p))) problems.push(`${label}: the payload came back unescaped`)
    if (res.statusCode === 400 || res.statusCode === 409 || res.statusCode === 403 || res.statusCode === 404 || res.statusCode === 422) {
      refused++
      if (!/^text\/html/.test(String(res.headers['content-type']))) problems.push(`${label}: a ${res.statusCode} that is not a page (${res.headers['content-type']})`)
      else if (res.statusCode === 400 && !/class="error"|class="error-page"|role="alert"|class="notice/.test(body)) problems.push(`${label}: a 400 without a message`)
      if (/at .*\.ts:\d+|Error: /.test(body)) problems.push(`${label}: a stack trace on the page`)
      const after = await tableFingerprint(w.db)
      if (after !== before) problems.push(`${label}: refused (${res.statusCode}) but something was written`)
      before = after
      // A re-shown form carries back every free-text value the user typed, the hostile one included.
      if (res.statusCode === 400) {
        for (const k of kept) {
          if (!k.value.trim() || /[\u0000-\u001f\u007f]/.test(k.value)) continue
          keptChecked++
          if (!body.includes(escapeHtml(k.value))) problems.push(`${label}: the value typed in ${k.field} was not kept`)
        }
      }
    } else {
      before = await tableFingerprint(w.db)
    }
    return res
  }

  for (const route of posts) {
    const url = fill(route.url)
    const browser = browserFor(route.roles, route.public)
    const actions = route.url === '/cases/:id/:action' ? ['accept', 'reject', 'forward', 'withdraw', 'supplement', 'reply', 'rate', 'follow_up', 'start_posting', 'record_objection'] : [null]
    for (const action of actions) {
      const target = action ? url.replace(':action', action) : url
      const fields = route.bodyFields.filter((f) => f !== '_csrf')
      // Every declared field set to the same hostile value at once, then nothing at all, then a JSON body.
      for (const value of HOSTILE) await send(browser, target, Object.fromEntries(fields.map((f) => [f, value])), `${target} all=${JSON.stringify(value).slice(0, 40)}`)
      await send(browser, target, {}, `${target} empty`)
      const json = await w.app.inject({ method: 'POST', url: target, payload: { [fields[0] ?? 'x']: { $gt: '' }, nested: [[1]] }, headers: { cookie: browser.cookieHeader(), 'x-csrf-token': browser.csrf ?? '' } })
      tried++
      if (json.statusCode >= 500) problems.push(`${target} JSON body: ${json.statusCode}`)
      before = await tableFingerprint(w.db)
    }
    // One field at a time on a valid form.
    const baseline = baselines[route.url]
    if (!baseline) continue
    const target = route.url === '/cases/:id/:action' ? url.replace(':action', 'forward') : url
    for (const field of route.bodyFields) {
      for (const value of HOSTILE) {
        const form: Record<string, string | string[]> = { ...baseline.form(), [field]: value }
        const kept = baseline.text.flatMap((f) => (typeof form[f] === 'string' ? [{ field: f, value: form[f] as string }] : []))
        await send(baseline.browser, target, form, `${target} ${field}=${JSON.stringify(value).slice(0, 40)}`, kept)
      }
    }
  }
  // HOSTILE_LOG=file writes the whole list, for reading more than tap's diff shows.
  if (process.env.HOSTILE_LOG) writeFileSync(process.env.HOSTILE_LOG, problems.join('\n'))
  t.same(problems, [], 'no 5xx, every refusal a page with a message, nothing written when refused, values kept')
  t.comment(`${tried} hostile requests over ${posts.length} POST routes; ${refused} refused (each checked for nothing written), ${keptChecked} re-shown forms checked for the typed value`)
  t.ok(tried > 2000, `${tried} requests tried`)
  t.ok(refused > 500 && keptChecked > 100, 'the refusal and kept-value checks really ran')
})
