import t from 'tap'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import type { Browser } from '../fixtures/browser.ts'

/**
 * Every route from Fastify's own table, for anonymous visitors and each role, own and foreign.
 * A route missing from EXPECTED fails the test, so a new route must say who may use it.
 */
type Who = 'anonymous' | 'agent' | 'foreignAgent' | 'clerk' | 'supervisor' | 'countySupervisor' | 'admin'
const STAFF: Who[] = ['agent', 'foreignAgent', 'clerk', 'supervisor', 'countySupervisor', 'admin']

// Who may GET each route (others: 403 for a signed-in role, 303 to login for anonymous; 404 where scope hides the record).
// (/login sends a signed-in user home; /lang/:locale always redirects back.)
const EXPECTED: Record<string, { public?: boolean; roles?: Who[]; foreign404?: boolean; skip?: string }> = {
  '/': { roles: STAFF },
  '/healthz': { public: true },
  '/login': { public: true },
  '/lang/:locale': { public: true },
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
      if (rule.public) expected = url === '/lang/:locale' || (url === '/login' && who !== 'anonymous') ? [303] : [200]
      else if (who === 'anonymous') expected = [303]
      else if (rule.roles?.includes(who)) expected = who === 'foreignAgent' && rule.foreign404 ? [404] : [200, 303]
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
  // And a signed-in role posting to another role's route is refused with 403 and writes nothing.
  const before = await w.db.selectFrom('auditEvents').select('id').execute()
  for (const url of ['/admin/users', '/admin/org/towns', '/admin/matters', '/admin/calendar/days', '/admin/matters/import', '/admin/calendar/import']) {
    const res = await browsers.agent.post(url, {})
    checked++
    t.equal(res.statusCode, 403, `POST ${url} as an agent: 403`)
  }
  t.equal((await w.db.selectFrom('auditEvents').select('id').execute()).length, before.length, 'nothing written')
  t.comment(`${checked} route × role checks`)
})
