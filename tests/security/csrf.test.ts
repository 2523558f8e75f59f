import t from 'tap'
import { setupApp } from '../fixtures/app.ts'
import { makeOrg, makeUser } from '../fixtures/factories.ts'

t.test('a POST without a valid CSRF token is refused with 403 and writes nothing', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const admin = await makeUser(ctx.db, org, 'admin')
  const browser = ctx.browser()
  await browser.login(admin.username, admin.password)
  const form = { username: 'csrf.victim', displayName: '某人', role: 'admin', password: 'welcome123' }

  const missing = await browser.post('/admin/users', { ...form, _csrf: null })
  t.equal(missing.statusCode, 403)
  t.match(missing.body, '页面已过期或来源不明')
  const forged = await browser.post('/admin/users', { ...form, _csrf: 'forged-token' })
  t.equal(forged.statusCode, 403)

  const rows = await ctx.db.selectFrom('users').select('id').where('username', '=', 'csrf.victim').execute()
  t.equal(rows.length, 0, 'no user was created')

  const logout = await browser.post('/logout', { _csrf: null })
  t.equal(logout.statusCode, 403, 'even logout needs the token')
  t.equal((await browser.get('/')).statusCode, 200, 'and the session is untouched')

  const loginWithout = await ctx.browser().post('/login', { username: admin.username, password: admin.password, _csrf: null })
  t.equal(loginWithout.statusCode, 403, 'login is protected too')
})

t.test('security headers forbid inline script and framing', async (t) => {
  const ctx = await setupApp(t)
  const res = await ctx.browser().get('/login')
  const csp = String(res.headers['content-security-policy'])
  t.match(csp, "script-src 'self'")
  t.notMatch(csp, 'unsafe-inline')
  t.match(csp, "frame-ancestors 'none'")
  t.equal(res.headers['x-content-type-options'], 'nosniff')
  const cookie = String(res.headers['set-cookie'])
  t.match(cookie, /HttpOnly/)
  t.match(cookie, /SameSite=Lax/)
  t.notMatch(res.body, /<script(?![^>]*src=)/, 'no inline script on the page')
})

t.test('login is rate-limited per IP', async (t) => {
  const ctx = await setupApp(t, { loginRateLimitPerMinute: 3 })
  const browser = ctx.browser()
  await browser.get('/login')
  const statuses: number[] = []
  for (let i = 0; i < 5; i++) statuses.push((await browser.post('/login', { username: 'nobody', password: 'x' })).statusCode)
  t.same(statuses.slice(0, 3), [401, 401, 401])
  t.equal(statuses[4], 429)
  const res = await browser.post('/login', { username: 'nobody', password: 'x' })
  t.match(res.body, '操作过于频繁')
})
