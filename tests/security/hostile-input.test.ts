import t from 'tap'
import { randomUUID } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import Handlebars from 'handlebars'
import { setupCaseWorld, loggedIn, submitIntake, act, versionOn, APPLICANT, townWindowId } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import type { Browser } from '../fixtures/browser.ts'
import { tableFingerprint } from '../fixtures/fingerprint.ts'
import { issueApiKey } from '../../server/partners/api-keys.ts'

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
/** The Open311 POST's fields (it has no form schema: it reads the specification's names itself). */
const OPEN311_FIELDS = ['api_key', 'jurisdiction_id', 'service_code', 'address_id', 'address_string', 'first_name', 'last_name', 'phone', 'description', 'attribute[service_form]', 'attribute[materials][]', 'attribute[village_group]', 'attribute[home_service]', 'attribute[vulnerable]']

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

/** A valid ID number (with its check character), a new one each call, so each fresh case has its own applicant. */
let idSeq = 0
function nextIdNumber(): string {
  const body = `11010519800101${String(100 + (idSeq++ % 900)).padStart(3, '0')}`
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
  const sum = [...body].reduce((acc, d, i) => acc + Number(d) * weights[i], 0)
  return body + '10X98765432'[sum % 11]
}

const REFUSALS = [400, 401, 403, 404, 409, 413, 415, 422, 429]

interface Counts {
  tried: number
  refused: number
  reshown: number
  valuesChecked: number
  done: number
}

t.test('hostile values in every form: no 5xx, a message, nothing written, the values kept', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00', { loginRateLimitPerMinute: 100_000, lookupRateLimitPerMinute: 100_000, open311RateLimitPerMinute: 100_000 })
  const admin = await makeUser(w.db, w.org, 'admin')
  // Spare records for the admin forms that disable, deactivate, move or rename: the fixture
  // identities and the village, window and matter later requests depend on are never touched.
  const spareUser = await makeUser(w.db, w.org, 'agent', { villageId: w.org.villages[1].id })
  const passwordUser = await makeUser(w.db, w.org, 'agent', { villageId: w.org.villages[1].id })
  const spareTown = await w.db.insertInto('towns').values({ countyId: w.org.countyId, code: 'SPARET', name: '备用镇' }).returning('id').executeTakeFirstOrThrow()
  const spareVillage = await w.db
    .insertInto('villages')
    .values({ countyId: w.org.countyId, townId: spareTown.id, code: 'SPAREV', name: '备用村', stationPhone: '0816-3260000', officeHours: '周一至周五' })
    .returning('id')
    .executeTakeFirstOrThrow()
  const spareWindow = await w.db.insertInto('windows').values({ countyId: w.org.countyId, townId: spareTown.id, department: 'civil_affairs', name: '备用窗口' }).returning('id').executeTakeFirstOrThrow()
  const partnerKey = (await issueApiKey(w.db, { ...admin, countyId: w.org.countyId, role: 'admin', displayName: 'admin', post: null, villageId: null, windowId: null, townId: null, tokenVersion: 0 }, { partner: '12345热线', channel: 'hotline', townId: null }, new Date())).key
  const agent = await loggedIn(w, w.agent)
  const clerk = await loggedIn(w, w.clerk)
  const supervisor = await loggedIn(w, w.supervisor)
  const adminBrowser = await loggedIn(w, admin)
  const passwordBrowser = await loggedIn(w, passwordUser)
  const anonymous = w.browser()
  await anonymous.get('/lookup')
  const signedIn = new Map<Browser, string>([
    [agent, 'agent'],
    [clerk, 'clerk'],
    [supervisor, 'supervisor'],
    [adminBrowser, 'admin'],
    [passwordBrowser, 'password user'],
  ])
  const matterId = await w.matterId('MZ-01')
  const onTheSpotMatter = await w.matterId('LB-03')
  const spareMatter = (await w.db.selectFrom('matters').select('id').where('countyId', '=', w.org.countyId).where('id', 'not in', [matterId, onTheSpotMatter]).orderBy('id', 'desc').executeTakeFirstOrThrow()).id
  const materials = ['书面申请', '居民身份证', '受灾情况说明']

  // Fresh records: a case at the agent's step (accepted, to be forwarded), a fee, a notice, a
  // station rectification. A request that succeeds changes its record, so the next one gets a new one.
  const newCase = async () => {
    const { caseId, res } = await submitIntake(agent, matterId, { ...APPLICANT, idNumber: nextIdNumber(), materialsReceived: materials })
    if (!caseId) throw new Error(`intake failed: ${res.statusCode}`)
    return { id: caseId, version: versionOn((await agent.get(`/cases/${caseId}`)).body) }
  }
  const newFee = async () => {
    const res = await agent.post('/fees', { kind: 'collect', amount: '10.00', department: 'civil_affairs', payer: '张三' })
    if (res.statusCode !== 303) throw new Error(`fee: ${res.statusCode}`)
    return (await w.db.selectFrom('feeEntries').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow()).id
  }
  const newNotice = async () => {
    const res = await agent.post('/notices/announcements', { title: '停电通知', body: '周三停电', shownFrom: '2026-02-13', shownTo: '2026-02-20' })
    if (res.statusCode !== 303) throw new Error(`notice: ${res.statusCode}`)
    return (await w.db.selectFrom('notices').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow()).id
  }
  const newRectification = async () => {
    const { caseId } = await submitIntake(agent, onTheSpotMatter, { ...APPLICANT, idNumber: nextIdNumber(), serviceForm: 'on_the_spot', materialsReceived: ['居民身份证', '户口簿'] })
    if (!caseId) throw new Error('rectification case: no intake')
    for (const [action, form] of [
      ['complete', { outcome: 'approved' }],
      ['reply', { how: 'station' }],
      ['rate', { overall: 'very_dissatisfied', comment: '误点' }],
    ] as const) {
      const res = await act(agent, caseId, action, form)
      if (res.statusCode !== 303) throw new Error(`rectification case: ${action} ${res.statusCode}`)
    }
    return (await w.db.selectFrom('rectifications').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow()).id
  }
  let baseCase = await newCase()
  const caseNo = (await w.db.selectFrom('cases').select('caseNo').where('id', '=', baseCase.id).executeTakeFirstOrThrow()).caseNo
  let feeId = await newFee()
  let noticeId = await newNotice()
  let rectId = await newRectification()

  // Who posts to each route, and the id its path needs.
  const browserFor = (url: string, roles: readonly string[] | null, isPublic: boolean): Browser => {
    if (isPublic) return anonymous
    if (url === '/account/password') return passwordBrowser
    if (url === '/notices/:id/approve' || url === '/rectifications/:id/decide' || url === '/rectifications/:id/decide_appeal') return supervisor
    return roles?.includes('agent') ? agent : roles?.includes('clerk') ? clerk : roles?.includes('supervisor') ? supervisor : roles?.includes('admin') ? adminBrowser : agent
  }
  const fill = (url: string) =>
    url
      .replace('/cases/:id/', `/cases/${baseCase.id}/`)
      .replace('/fees/:id', `/fees/${feeId}`)
      .replace('/notices/:id', `/notices/${noticeId}`)
      .replace('/admin/users/:id', `/admin/users/${spareUser.id}`)
      .replace('/admin/org/towns/:id', `/admin/org/towns/${spareTown.id}`)
      .replace('/admin/org/villages/:id', `/admin/org/villages/${spareVillage.id}`)
      .replace('/admin/org/windows/:id', `/admin/org/windows/${spareWindow.id}`)
      .replace('/admin/matters/:id', `/admin/matters/${spareMatter}`)
      .replace('/rectifications/:id', `/rectifications/${rectId}`)
      .replace('.:format', '.json')

  // Valid forms: one field at a time is made hostile, so the rules behind the schema (ID
  // numbers, dates, money, case numbers) see the values too. `text` are the fields a re-shown
  // form must carry back; `min` the re-shown forms (400, every typed value back) the route must give.
  interface Baseline {
    browser: Browser
    target: () => string
    form: () => Record<string, string | string[]>
    text: string[]
    min: number
    renew?: () => Promise<void>
  }
  const baselines: Record<string, Baseline> = {
    '/cases': {
      browser: agent,
      target: () => '/cases',
      form: () => ({ idempotencyKey: randomUUID(), matterId: String(matterId), channel: 'station', serviceForm: 'proxy', decision: 'decide', ...APPLICANT, idNumber: '', applicantId: '', materialsReceived: materials, summary: '申请救助' }),
      text: ['name', 'address', 'villageGroup', 'summary'],
      min: 100,
    },
    '/cases/:id/:action': {
      browser: agent,
      target: () => `/cases/${baseCase.id}/forward`,
      form: () => ({ version: baseCase.version, windowId: townWindowId(w), method: 'paper', materialsSent: materials, note: '已核对原件' }),
      text: ['note'],
      min: 100,
      renew: async () => {
        baseCase = await newCase()
      },
    },
    '/fees': { browser: agent, target: () => '/fees', form: () => ({ kind: 'collect', amount: '12.50', department: 'civil_affairs', payer: '李四', caseNo: '', note: '代收' }), text: ['payer', 'note'], min: 50 },
    '/fees/:id/reverse': {
      browser: agent,
      target: () => `/fees/${feeId}/reverse`,
      form: () => ({ reason: '金额录错' }),
      text: ['reason'],
      // Any non-blank reason is accepted: few refusals to re-show.
      min: 0,
      renew: async () => {
        feeId = await newFee()
      },
    },
    '/visits': { browser: agent, target: () => '/visits', form: () => ({ time: '09:30', people: '2', purpose: 'consult', told: '已告知', caseNo: '' }), text: ['told'], min: 20 },
    '/notices/announcements': { browser: agent, target: () => '/notices/announcements', form: () => ({ title: '通知', body: '内容', shownFrom: '2026-02-13', shownTo: '2026-02-20' }), text: ['title', 'body'], min: 30 },
    '/notices/:id/withdraw': {
      browser: agent,
      target: () => `/notices/${noticeId}/withdraw`,
      form: () => ({ reason: '发布有误' }),
      text: ['reason'],
      min: 0,
      renew: async () => {
        noticeId = await newNotice()
      },
    },
    '/notices/facts': { browser: agent, target: () => '/notices/facts', form: () => ({ stationPhone: '0816-3261111', officeHours: '周一至周五' }), text: ['officeHours'], min: 10 },
    '/rectifications/:id/submit': {
      browser: agent,
      target: () => `/rectifications/${rectId}/submit`,
      form: () => ({ callback: '已电话回访', fixed: '已整改', reply: '已致歉' }),
      text: ['callback', 'fixed', 'reply'],
      min: 10,
      renew: async () => {
        rectId = await newRectification()
      },
    },
    '/open311/v2/requests.:format': {
      browser: anonymous,
      target: () => '/open311/v2/requests.json',
      form: () => ({ api_key: partnerKey, service_code: 'MZ-01', address_id: w.org.villages[0].code, last_name: '赵', first_name: '桂兰', phone: '13987654321', description: '想申请救助', address_string: '', 'attribute[service_form]': 'proxy', 'attribute[village_group]': '三组', 'attribute[home_service]': 'false', 'attribute[vulnerable]': 'none', 'attribute[materials][]': '书面申请', jurisdiction_id: '' }),
      text: [],
      min: 0,
    },
    '/lookup': { browser: anonymous, target: () => '/lookup', form: () => ({ no: caseNo, tail: '5678' }), text: [], min: 0 },
    '/admin/users': { browser: adminBrowser, target: () => '/admin/users', form: () => ({ username: `u${randomUUID().slice(0, 8)}`, displayName: '新用户', role: 'agent', post: 'A', villageId: String(w.org.villages[1].id), phone: '', password: 'secret123' }), text: ['displayName'], min: 20 },
  }

  const posts = w.app.routeTable.filter((r) => r.method === 'POST' && r.url !== '/logout')
  t.ok(posts.length > 30, `${posts.length} POST routes`)
  const counts = new Map<string, Counts>()
  const countFor = (kind: string) => {
    let c = counts.get(kind)
    if (!c) counts.set(kind, (c = { tried: 0, refused: 0, reshown: 0, valuesChecked: 0, done: 0 }))
    return c
  }
  let tried = 0
  let refused = 0
  let keptChecked = 0
  const problems: string[] = []
  const written: string[] = []
  let before = await tableFingerprint(w.db)
  const loggedOut = (browser: Browser, res: { statusCode: number; headers: Record<string, unknown> }) =>
    signedIn.has(browser) && res.statusCode === 303 && /^\/login/.test(String(res.headers.location ?? ''))
  /** Sends one request and checks it; true when the request was done (a 2xx/3xx that is not a log-out). */
  const send = async (kind: string, browser: Browser, url: string, form: Record<string, string | string[]>, label: string, kept: { field: string; value: string }[] = []) => {
    const res = await browser.post(url, form)
    const c = countFor(kind)
    tried++
    c.tried++
    const body = res.body
    if (res.statusCode >= 500) problems.push(`${label}: ${res.statusCode}`)
    if (RAW_PAYLOADS.some((p) => body.includes(p))) problems.push(`${label}: the payload came back unescaped`)
    if (loggedOut(browser, res)) {
      problems.push(`${label}: 303 to ${res.headers.location}: the ${signedIn.get(browser)} was logged out`)
      throw new Error(`${label}: the ${signedIn.get(browser)} was logged out; every later request would prove nothing`)
    }
    if (REFUSALS.includes(res.statusCode)) {
      refused++
      c.refused++
      // The Open311 API answers machines: its refusals are the specification's error list.
      if (url.startsWith('/open311/')) {
        const errors = /^application\/json/.test(String(res.headers['content-type'])) ? (JSON.parse(body) as { code?: unknown; description?: unknown }[]) : null
        if (!errors || !errors.length || errors.some((e) => typeof e.code !== 'number' || typeof e.description !== 'string' || !e.description)) problems.push(`${label}: a ${res.statusCode} that is not an Open311 error list`)
      } else if (!/^text\/html/.test(String(res.headers['content-type']))) problems.push(`${label}: a ${res.statusCode} that is not a page (${res.headers['content-type']})`)
      else if (res.statusCode === 400 && !/class="error"|class="error-page"|role="alert"|class="notice/.test(body)) problems.push(`${label}: a 400 without a message`)
      if (/at .*\.ts:\d+|Error: /.test(body)) problems.push(`${label}: a stack trace on the page`)
      const after = await tableFingerprint(w.db)
      if (after !== before) written.push(`${label}: refused (${res.statusCode}) but something was written`)
      before = after
      // A re-shown form carries back every free-text value the user typed, the hostile one included.
      if (res.statusCode === 400) {
        const checkable = kept.filter((k) => k.value.trim() && !/[\u0000-\u001f\u007f]/.test(k.value))
        const lost = checkable.filter((k) => !body.includes(escapeHtml(k.value)))
        for (const k of lost) problems.push(`${label}: the value typed in ${k.field} was not kept`)
        keptChecked += checkable.length
        c.valuesChecked += checkable.length
        if (checkable.length && !lost.length) c.reshown++
      }
      return false
    }
    c.done++
    before = await tableFingerprint(w.db)
    return res.statusCode < 400
  }
  /** A JSON body where a form is expected: never a 5xx, never a log-out, and a refusal writes nothing. */
  const sendJson = async (kind: string, browser: Browser, target: string, fields: string[]) => {
    const json = await w.app.inject({ method: 'POST', url: target, payload: { [fields[0] ?? 'x']: { $gt: '' }, nested: [[1]] }, headers: { cookie: browser.cookieHeader(), 'x-csrf-token': browser.csrf ?? '' } })
    const c = countFor(kind)
    tried++
    c.tried++
    if (json.statusCode >= 500) problems.push(`${target} JSON body: ${json.statusCode}`)
    if (loggedOut(browser, json)) problems.push(`${target} JSON body: 303 to ${json.headers.location}: logged out`)
    const after = await tableFingerprint(w.db)
    if (json.statusCode >= 400) {
      refused++
      c.refused++
      if (after !== before) written.push(`${target} JSON body: refused (${json.statusCode}) but something was written`)
    } else c.done++
    before = after
  }

  for (const route of posts) {
    const kind = route.url
    const browser = browserFor(route.url, route.roles, route.public)
    const actions = route.url === '/cases/:id/:action' ? ['accept', 'reject', 'forward', 'withdraw', 'supplement', 'reply', 'rate', 'follow_up', 'start_posting', 'record_objection'] : [null]
    for (const action of actions) {
      // Each case step on a case of its own, so one that goes through does not hide the others.
      if (action) {
        baseCase = await newCase()
        before = await tableFingerprint(w.db)
      }
      const url = fill(route.url)
      const target = action ? url.replace(':action', action) : url
      const fields = route.url.startsWith('/open311/') ? OPEN311_FIELDS : route.bodyFields.filter((f) => f !== '_csrf')
      // Every declared field set to the same hostile value at once, then nothing at all, then a JSON body.
      for (const value of HOSTILE) await send(kind, browser, target, Object.fromEntries(fields.map((f) => [f, value])), `${target} all=${JSON.stringify(value).slice(0, 40)}`)
      await send(kind, browser, target, {}, `${target} empty`)
      await sendJson(kind, browser, target, fields)
    }
    // One field at a time on a valid form, on a fresh record.
    const baseline = baselines[route.url]
    if (!baseline) continue
    if (baseline.renew) await baseline.renew()
    before = await tableFingerprint(w.db)
    const bkind = `${route.url} (valid form, one field hostile)`
    // Where a request that goes through needs a fresh record, only the form's own fields (the others are ignored and cost a new case each).
    const fields = baseline.renew || route.url.startsWith('/open311/') ? Object.keys(baseline.form()) : route.bodyFields
    for (const field of fields) {
      for (const value of HOSTILE) {
        const form: Record<string, string | string[]> = { ...baseline.form(), [field]: value }
        const kept = baseline.text.flatMap((f) => (typeof form[f] === 'string' ? [{ field: f, value: form[f] as string }] : []))
        const done = await send(bkind, baseline.browser, baseline.target(), form, `${baseline.target()} ${field}=${JSON.stringify(value).slice(0, 40)}`, kept)
        if (done && baseline.renew) {
          await baseline.renew()
          before = await tableFingerprint(w.db)
        }
      }
    }
    const c = countFor(bkind)
    t.ok(c.reshown >= baseline.min, `${route.url}: ${c.reshown} forms refused and re-shown with every typed value (at least ${baseline.min})`)
  }
  // Nobody was logged out along the way.
  for (const [browser, who] of signedIn) t.equal((await browser.get('/')).statusCode, 200, `the ${who} is still signed in`)
  // HOSTILE_LOG=file writes the whole list, for reading more than tap's diff shows.
  if (process.env.HOSTILE_LOG) writeFileSync(process.env.HOSTILE_LOG, [...problems, ...written].join('\n'))
  // Server bugs these checks found, each kept as its own todo so the rest of the file stays strict.
  const KNOWN: { pattern: RegExp; todo: string }[] = [
    { pattern: /^\/cases matterId=.*: the value typed in \w+ was not kept$/, todo: 'intake with an unknown or malformed matterId re-shows the form without what was typed (name, address, village group, summary lost)' },
  ]
  const known = (p: string) => KNOWN.find((k) => k.pattern.test(p))
  t.same(problems.filter((p) => !known(p)), [], 'no 5xx, no log-out, every refusal a page with a message, values kept')
  for (const k of KNOWN) t.same(problems.filter((p) => k.pattern.test(p)), [], k.todo, { todo: k.todo })
  t.same(written, [], 'nothing written when refused')
  for (const [kind, c] of counts) t.comment(`${kind}: ${c.tried} requests, ${c.done} done, ${c.refused} refused (each checked for nothing written), ${c.reshown} re-shown forms with ${c.valuesChecked} typed values checked`)
  t.comment(`${tried} hostile requests over ${posts.length} POST routes; ${refused} refused (each checked for nothing written), ${keptChecked} typed values checked on re-shown forms`)
  t.ok(tried > 2000, `${tried} requests tried`)
  t.ok(refused > 1000 && keptChecked > 300, 'the refusal and kept-value checks really ran')
})
