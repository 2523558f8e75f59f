import t from 'tap'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import type { Browser } from '../fixtures/browser.ts'
import { tableFingerprint } from '../fixtures/fingerprint.ts'

/**
 * Every route from Fastify's own table, for anonymous visitors and each role, own and foreign.
 * A route missing from EXPECTED fails the test, so a new route must say who may use it.
 */
type Who = 'anonymous' | 'agent' | 'foreignAgent' | 'clerk' | 'supervisor' | 'countySupervisor' | 'admin'
const STAFF: Who[] = ['agent', 'foreignAgent', 'clerk', 'supervisor', 'countySupervisor', 'admin']

// Who may GET each route (others: 403 for a signed-in role, 303 to login for anonymous; 404 where scope hides the record).
// (/login sends a signed-in user home; /lang/:locale and /text-size/:size always redirect back.)
const EXPECTED: Record<string, { public?: boolean; roles?: Who[]; foreign404?: boolean; skip?: string }> = {
  '/': { roles: STAFF },
  '/healthz': { public: true },
  '/login': { public: true },
  '/lang/:locale': { public: true },
  '/text-size/:size': { public: true },
  '/account/password': { roles: STAFF },
  '/admin/users': { roles: ['admin'] },
  '/admin/users/new': { roles: ['admin'] },
  '/admin/users/:id/edit': { roles: ['admin'] },
  '/admin/org': { roles: ['admin'] },
  '/admin/org/towns/:id/edit': { roles: ['admin'] },
  '/admin/org/villages/:id/edit': { roles: ['admin'] },
  '/admin/org/windows/:id/edit': { roles: ['admin'] },
  '/villages': { roles: ['clerk', 'supervisor', 'countySupervisor', 'admin'] },
  '/villages/:id': { roles: STAFF, foreign404: true },
  '/deadline': { public: true },
  '/api/v1/deadline': { public: true },
  '/schemas/calendar-year.json': { public: true },
  '/admin/calendar': { roles: ['admin'] },
  '/admin/calendar/import': { roles: ['admin'] },
  '/admin/matters': { roles: ['admin'] },
  '/admin/matters/new': { roles: ['admin'] },
  '/admin/matters/:id/edit': { roles: ['admin'] },
  '/admin/matters/export.json': { roles: ['admin'] },
  '/admin/matters/import': { roles: ['admin'] },
  '/schemas/matter-catalogue.json': { public: true },
  '/guides': { public: true },
  '/guides/:code': { public: true },
  '/cases/new': { roles: ['agent', 'foreignAgent'] },
  '/cases/:id': { roles: ['agent', 'supervisor', 'countySupervisor', 'admin'], foreign404: true },
  '/cases': { roles: STAFF },
  '/cases/:id/documents/:doc': { roles: ['agent', 'supervisor', 'countySupervisor', 'admin'], foreign404: true },
  '/cases/:id/documents/:doc/pdf': { roles: ['agent', 'supervisor', 'countySupervisor', 'admin'], foreign404: true },
  '/lookup': { public: true },
  '/fees': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor', 'admin'] },
  '/fees.csv': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor', 'admin'] },
  '/fees/pdf': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor', 'admin'] },
  '/fees/settlement': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor', 'admin'] },
  '/fees/report': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor', 'admin'] },
  '/fees/report/pdf': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor', 'admin'] },
  '/ledger': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor', 'admin'] },
  '/ledger.csv': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor', 'admin'] },
  '/ledger.pdf': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor', 'admin'] },
  '/admin/ledger/verify': { roles: ['admin'] },
  '/visits': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor', 'admin'] },
  '/visits.csv': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor', 'admin'] },
  '/visits/pdf': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor', 'admin'] },
  '/applicants/:id': { roles: ['agent', 'supervisor', 'countySupervisor', 'admin'], foreign404: true },
  '/applicants/:id/pdf': { roles: ['agent', 'supervisor', 'countySupervisor', 'admin'], foreign404: true },
  '/board': { public: true },
  '/board/:code': { public: true },
  '/board/:code/poster': { roles: ['agent', 'supervisor', 'countySupervisor', 'admin'], foreign404: true },
  '/notices': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor'] },
  '/inbox': { roles: STAFF },
  '/overdue': { roles: ['supervisor', 'countySupervisor', 'admin'] },
  '/overdue.csv': { roles: ['supervisor', 'countySupervisor', 'admin'] },
  '/admin/jobs': { roles: ['admin'] },
  '/rectifications': { roles: ['agent', 'foreignAgent', 'clerk', 'supervisor', 'countySupervisor'] },
  '/rectifications/:id': { skip: 'no rectification in this fixture; covered by tests/supervision/rectifications.test.ts' },
  '/stats': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor', 'admin'] },
  '/stats.csv': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor', 'admin'] },
  '/assets/*': { public: true },
  '/assets/fonts/*': { public: true },
}

// Who may POST to each route (the app's own role list must agree). foreign404: the foreign agent's
// request about the agent's record is answered as if it did not exist; scope404: signed-in roles
// the route admits whose jurisdiction does not reach the fixture's record.
const EXPECTED_POST: Record<string, { public?: boolean; roles?: Who[]; foreign404?: boolean; scope404?: Who[] }> = {
  '/login': { public: true },
  '/logout': { roles: STAFF },
  '/lookup': { public: true },
  '/account/password': { roles: STAFF },
  '/admin/users': { roles: ['admin'] },
  '/admin/users/:id': { roles: ['admin'] },
  '/admin/users/:id/disable': { roles: ['admin'] },
  '/admin/users/:id/enable': { roles: ['admin'] },
  '/admin/org/towns': { roles: ['admin'] },
  '/admin/org/villages': { roles: ['admin'] },
  '/admin/org/windows': { roles: ['admin'] },
  '/admin/org/towns/:id': { roles: ['admin'] },
  '/admin/org/villages/:id': { roles: ['admin'] },
  '/admin/org/windows/:id': { roles: ['admin'] },
  '/admin/calendar/days': { roles: ['admin'] },
  '/admin/calendar/regional': { roles: ['admin'] },
  '/admin/calendar/regional/:id/remove': { roles: ['admin'] },
  '/admin/calendar/import': { roles: ['admin'] },
  '/admin/matters': { roles: ['admin'] },
  '/admin/matters/:id': { roles: ['admin'] },
  '/admin/matters/:id/activate': { roles: ['admin'] },
  '/admin/matters/:id/deactivate': { roles: ['admin'] },
  '/admin/matters/import': { roles: ['admin'] },
  '/cases': { roles: ['agent', 'foreignAgent'] },
  // The clerk's window has not been sent this case: out of its scope.
  '/cases/:id/:action': { roles: ['agent', 'foreignAgent', 'clerk', 'supervisor', 'countySupervisor'], foreign404: true, scope404: ['clerk'] },
  '/fees': { roles: ['agent', 'foreignAgent'] },
  '/fees/:id/reverse': { roles: ['agent', 'foreignAgent'], foreign404: true },
  '/fees/settlement/agent': { roles: ['agent', 'foreignAgent'] },
  '/fees/settlement/station': { roles: ['agent', 'foreignAgent'] },
  '/visits': { roles: ['agent', 'foreignAgent'] },
  '/notices/announcements': { roles: ['agent', 'foreignAgent'] },
  '/notices/monthly': { roles: ['agent', 'foreignAgent'] },
  // A supervisor names the village in the form; without one there is nothing in scope to change.
  '/notices/facts': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor'], scope404: ['supervisor', 'countySupervisor'] },
  // The pending monthly list of the agent's village (the town supervisor's and the county's).
  '/notices/:id/approve': { roles: ['supervisor', 'countySupervisor'] },
  '/notices/:id/withdraw': { roles: ['agent', 'foreignAgent', 'supervisor', 'countySupervisor'], foreign404: true },
  '/rectifications/:id/submit': { roles: ['agent', 'foreignAgent', 'clerk', 'supervisor', 'countySupervisor'] },
  '/rectifications/:id/decide': { roles: ['agent', 'foreignAgent', 'clerk', 'supervisor', 'countySupervisor'] },
  '/rectifications/:id/appeal': { roles: ['agent', 'foreignAgent', 'clerk', 'supervisor', 'countySupervisor'] },
  '/rectifications/:id/decide_appeal': { roles: ['agent', 'foreignAgent', 'clerk', 'supervisor', 'countySupervisor'] },
}
const ROLE_OF: Record<Who, string | null> = { anonymous: null, agent: 'agent', foreignAgent: 'agent', clerk: 'clerk', supervisor: 'supervisor', countySupervisor: 'supervisor', admin: 'admin' }

// Nearly 800 requests, each followed by a look at every table: more than tap's default 30 s on a busy machine.
t.setTimeout(5 * 60_000)

t.test('every route, every role: login, role and jurisdiction hold', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const admin = await makeUser(w.db, w.org, 'admin')
  const browsers: Record<Who, Browser> = {
    anonymous: w.browser(),
    agent: await loggedIn(w, w.agent),
    foreignAgent: await loggedIn(w, w.otherAgent),
    clerk: await loggedIn(w, w.clerk),
    supervisor: await loggedIn(w, w.supervisor),
    countySupervisor: await loggedIn(w, w.countySupervisor),
    admin: await loggedIn(w, admin),
  }
  const { caseId } = await submitIntake(browsers.agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const applicant = await w.db.selectFrom('applicants').select('id').executeTakeFirstOrThrow()
  const matter = await w.db.selectFrom('matters').select('id').executeTakeFirstOrThrow()
  // Concrete values for each path parameter: records of the agent's own village.
  const fill = (url: string) =>
    url
      .replace('/cases/:id/documents/:doc', `/cases/${caseId}/documents/acceptance-notice`)
      .replace('/cases/:id', `/cases/${caseId}`)
      .replace('/applicants/:id', `/applicants/${applicant.id}`)
      .replace('/villages/:id', `/villages/${w.org.villages[0].id}`)
      .replace('/board/:code', `/board/${w.org.villages[0].code}`)
      .replace('/guides/:code', '/guides/MZ-01')
      .replace('/lang/:locale', '/lang/zh-CN')
      .replace('/text-size/:size', '/text-size/large')
      .replace('/admin/users/:id', `/admin/users/${admin.id}`)
      .replace('/admin/matters/:id', `/admin/matters/${matter.id}`)
      .replace('/admin/org/towns/:id', `/admin/org/towns/${w.org.towns[0].id}`)
      .replace('/admin/org/villages/:id', `/admin/org/villages/${w.org.villages[0].id}`)
      .replace('/admin/org/windows/:id', `/admin/org/windows/${w.org.windows[0].id}`)
      .replace('/assets/fonts/*', '/assets/fonts/400.css')
      .replace('/assets/*', '/assets/app.css')
      .replace('/api/v1/deadline', '/api/v1/deadline?start=2026-03-02&days=3')

  const gets = [...new Set(w.app.routeTable.filter((r) => r.method === 'GET').map((r) => r.url))]
  const missing = gets.filter((url) => !(url in EXPECTED))
  t.same(missing, [], 'every GET route is in the table')
  let checked = 0
  for (const url of gets) {
    const rule = EXPECTED[url]
    if (!rule || rule.skip) continue
    const route = w.app.routeTable.find((r) => r.method === 'GET' && r.url === url)!
    t.equal(route.public, Boolean(rule.public), `${url}: public in the app as in the table`)
    for (const who of ['anonymous', ...STAFF] as Who[]) {
      const res = await browsers[who].get(fill(url))
      checked++
      let expected: number[]
      if (rule.public) expected = url === '/lang/:locale' || url === '/text-size/:size' || (url === '/login' && who !== 'anonymous') ? [303] : [200]
      else if (who === 'anonymous') expected = [303]
      else if (rule.roles?.includes(who)) expected = who === 'foreignAgent' && rule.foreign404 ? [404] : [200]
      else expected = [403, ...(rule.foreign404 ? [404] : [])]
      t.ok(expected.includes(res.statusCode), `GET ${url} as ${who}: ${res.statusCode} (expected ${expected.join(' or ')})`)
      if (who === 'anonymous' && !rule.public) t.match(res.headers.location, /^\/login/, `GET ${url} as anonymous goes to login`)
    }
  }

  // Every state-changing route refuses a request without a CSRF token, for everyone, before anything else.
  const posts = [...new Set(w.app.routeTable.filter((r) => r.method === 'POST').map((r) => r.url))]
  t.ok(posts.length > 30, `${posts.length} POST routes`)
  for (const url of posts) {
    for (const who of ['anonymous', 'agent', 'admin'] as Who[]) {
      const res = await browsers[who].post(fill(url).replace(':action', 'withdraw').replace('/fees/:id', '/fees/1').replace('/notices/:id', '/notices/1').replace('/rectifications/:id', '/rectifications/1').replace('/admin/users/:id', `/admin/users/${admin.id}`), { _csrf: null })
      checked++
      t.equal(res.statusCode, 403, `POST ${url} as ${who} without CSRF: 403`)
    }
  }
  // And with a valid token: every POST route for every identity, against EXPECTED_POST. A refusal
  // (login, role, jurisdiction) writes nothing. The records are the agent's own.
  const missingPosts = posts.filter((url) => !(url in EXPECTED_POST))
  t.same(missingPosts, [], 'every POST route is in the table')
  const fee = await browsers.agent.post('/fees', { kind: 'collect', amount: '3.00', department: 'civil_affairs', payer: '' })
  t.equal(fee.statusCode, 303)
  const feeId = (await w.db.selectFrom('feeEntries').select('id').executeTakeFirstOrThrow()).id
  t.equal((await browsers.agent.post('/notices/announcements', { title: '通知', body: '内容', shownFrom: '2026-03-02', shownTo: '2026-03-09' })).statusCode, 303)
  const noticeId = (await w.db.selectFrom('notices').select('id').where('kind', '=', 'announcement').executeTakeFirstOrThrow()).id
  t.equal((await browsers.agent.post('/notices/monthly', { month: '2026-02' })).statusCode, 303)
  const monthlyId = (await w.db.selectFrom('notices').select('id').where('kind', '=', 'monthly_list').executeTakeFirstOrThrow()).id
  // Disabling and editing act on a spare user, so no browser of the test loses its session.
  const spare = await makeUser(w.db, w.org, 'agent')
  const postUrl = (url: string) =>
    fill(url.replace('/admin/users/:id', `/admin/users/${spare.id}`))
      .replace(':action', 'withdraw')
      .replace('/fees/:id', `/fees/${feeId}`)
      .replace('/notices/:id/approve', `/notices/${monthlyId}/approve`)
      .replace('/notices/:id', `/notices/${noticeId}`)
      .replace('/rectifications/:id', '/rectifications/1')
  // Steps that need no input, done by an empty form, and where they land. The second approval of a
  // monthly list (by the county supervisor, after the town's) is refused: it is no longer pending.
  const EMPTY_FORM_DONE: Record<string, string> = {
    '/admin/matters/:id/activate': '/admin/matters?inactive=on',
    '/admin/matters/:id/deactivate': '/admin/matters?inactive=on',
    '/admin/users/:id/disable': '/admin/users',
    '/admin/users/:id/enable': '/admin/users',
    '/fees/settlement/agent': '/fees/settlement',
    '/notices/facts': '/notices',
    '/logout': '/login',
  }
  let before = await tableFingerprint(w.db)
  // Logging out last: it ends the browser's session.
  for (const url of [...posts.filter((u) => u !== '/logout'), '/logout']) {
    const rule = EXPECTED_POST[url]
    if (!rule) continue
    const route = w.app.routeTable.find((r) => r.method === 'POST' && r.url === url)!
    t.equal(route.public, Boolean(rule.public), `POST ${url}: public in the app as in the table`)
    if (route.roles) t.same([...new Set(rule.roles!.map((w) => ROLE_OF[w]))].sort(), [...route.roles].sort(), `POST ${url}: the app's roles are the table's`)
    for (const who of ['anonymous', ...STAFF] as Who[]) {
      const res = await browsers[who].post(postUrl(url), {})
      checked++
      let expected: number[]
      let target: string | null = null
      if (rule.public) expected = [200, 400, 401, 404, 429]
      else if (who === 'anonymous') [expected, target] = [[303], '/login']
      else if (!rule.roles!.includes(who)) expected = [403]
      else if ((who === 'foreignAgent' && rule.foreign404) || rule.scope404?.includes(who) || url.startsWith('/rectifications/')) expected = [404]
      else {
        // An empty form from someone allowed: refused with the form (400), unless the step needs no input.
        const done = url === '/notices/:id/approve' ? (who === 'supervisor' ? '/notices?villageId=' : null) : EMPTY_FORM_DONE[url] ?? null
        ;[expected, target] = done ? [[303], done] : [[400], null]
      }
      t.ok(expected.includes(res.statusCode), `POST ${url} as ${who}: ${res.statusCode} (expected ${expected.join(' or ')})`)
      // A 303 goes where the table says: for a signed-in identity never back to the login page (logged out).
      if (res.statusCode === 303) t.ok(target !== null && String(res.headers.location).startsWith(target), `POST ${url} as ${who}: to ${res.headers.location} (expected ${target})`)
      const after = await tableFingerprint(w.db)
      if ([303, 403, 404].includes(res.statusCode) && !(expected.includes(303) && who !== 'anonymous')) t.equal(after, before, `POST ${url} as ${who}: refused, nothing written`)
      before = after
    }
  }
  t.comment(`${checked} route × role checks`)
})
