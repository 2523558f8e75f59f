import t from 'tap'
import { setupApp } from '../fixtures/app.ts'
import { makeOrg, makeUser } from '../fixtures/factories.ts'
import { logIn, nextAttemptAt } from '../../server/accounts/login.service.ts'

t.test('each role logs in and lands on its own home page and menu', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const cases = [
    { role: 'agent', heading: '代办员工作台', menu: '公示管理' },
    { role: 'clerk', heading: '窗口工作台', menu: '工作台' },
    { role: 'supervisor', heading: '监督工作台', menu: '服务站' },
    { role: 'admin', heading: '系统管理', menu: '组织机构' },
  ] as const
  for (const c of cases) {
    const user = await makeUser(ctx.db, org, c.role)
    const browser = ctx.browser()
    const login = await browser.post('/login', { username: user.username, password: user.password, next: '/' })
    t.equal(login.statusCode, 303, `${c.role} is redirected after login`)
    t.equal(login.headers.location, '/')
    const home = await browser.get('/')
    t.equal(home.statusCode, 200)
    t.match(home.body, `<h1>${c.heading}</h1>`, `${c.role} sees its home page`)
    t.match(home.body, c.menu, `${c.role} sees its menu`)
    t.match(home.body, '退出')
  }
})

t.test('a page needing login sends an anonymous visitor to the login page and back', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const admin = await makeUser(ctx.db, org, 'admin')
  const browser = ctx.browser()
  const res = await browser.get('/admin/users')
  t.equal(res.statusCode, 303)
  t.equal(res.headers.location, '/login?next=%2Fadmin%2Fusers')
  const login = await browser.post('/login', { username: admin.username, password: admin.password, next: '/admin/users' })
  t.equal(login.headers.location, '/admin/users')
  await browser.get('/') // login renewed the CSRF secret: take a token of the new one from a page
  const offsite = await browser.post('/login', { username: admin.username, password: admin.password, next: '//evil.example/' })
  t.equal(offsite.headers.location, '/', 'an off-site next is ignored')
})

t.test('a wrong password shows a message and keeps the username', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const user = await makeUser(ctx.db, org, 'agent')
  const res = await ctx.browser().post('/login', { username: user.username, password: 'wrong-password1' })
  t.equal(res.statusCode, 401)
  t.match(res.body, '用户名或密码不正确')
  t.match(res.body, `value="${user.username}"`)
  t.notMatch(res.body, 'wrong-password1', 'the password is never echoed')
})

t.test('wrong passwords slow the address that makes them, with the same answer as an unknown user; the owner elsewhere still gets in', async (t) => {
  let now = new Date('2026-02-13T02:00:00Z')
  const ctx = await setupApp(t, {}, { now: () => now })
  const org = await makeOrg(ctx.db)
  const user = await makeUser(ctx.db, org, 'agent')
  const guesser = ctx.browser()
  const unknown = await guesser.post('/login', { username: 'no-such-user', password: 'wrong0xyz' })
  t.equal(unknown.statusCode, 401)
  const answer = /<p class="form-error" role="alert">([^<]+)</.exec(unknown.body)![1]
  for (let i = 1; i <= 3; i++) {
    const res = await guesser.post('/login', { username: user.username, password: `wrong${i}xyz` })
    t.equal(res.statusCode, 401, `attempt ${i} is refused`)
    t.match(res.body, answer, 'with the answer an unknown user gets')
  }
  const right = await guesser.post('/login', { username: user.username, password: user.password })
  t.equal(right.statusCode, 401, 'right after three failures, even the right password from that address waits')
  t.match(right.body, answer, 'and the answer does not say so')
  t.notMatch(right.body, /锁定|locked/)

  t.match(await logIn(ctx.db, user.username, user.password, '10.0.0.2', now), { ok: true, userId: user.id }, 'the owner at another address is not kept out')
  now = new Date(now.getTime() + 6_000)
  t.equal((await guesser.post('/login', { username: user.username, password: user.password })).statusCode, 303, 'after the 5 s wait the right password works')
  const audit = await ctx.db.selectFrom('auditEvents').select('action').where('subjectId', '=', String(user.id)).execute()
  t.same(audit.map((a) => a.action), ['user.login_throttled'], 'the slow-down is recorded')
  const row = await ctx.db.selectFrom('users').select('lockedUntil').where('id', '=', user.id).executeTakeFirstOrThrow()
  t.equal(row.lockedUntil, null, 'the account itself is never locked')
})

t.test('the wait doubles after each further failure, up to 15 minutes; old failures are forgotten', async (t) => {
  const now = new Date('2026-02-13T02:00:00Z')
  const ago = (ms: number) => new Date(now.getTime() - ms)
  const rows: [Date[], Date | null][] = [
    [[], null],
    [[ago(1000), ago(2000)], null],
    [[ago(1000), ago(2000), ago(3000)], new Date(ago(1000).getTime() + 5_000)],
    [[ago(10_000), ago(20_000), ago(30_000)], null],
    [[ago(1000), ago(2000), ago(3000), ago(4000)], new Date(ago(1000).getTime() + 10_000)],
    [Array.from({ length: 6 }, (_, i) => ago(1000 * (i + 1))), new Date(ago(1000).getTime() + 40_000)],
    [Array.from({ length: 20 }, (_, i) => ago(1000 * (i + 1))), new Date(ago(1000).getTime() + 15 * 60_000)],
    [Array.from({ length: 20 }, (_, i) => ago(61 * 60_000 + i)), null],
  ]
  for (const [failures, expected] of rows) t.same(nextAttemptAt(failures, now), expected, `${failures.length} failures`)
})

t.test('logout ends the session on the server: the old cookie goes back to login', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const user = await makeUser(ctx.db, org, 'agent')
  const browser = ctx.browser()
  await browser.login(user.username, user.password)
  const oldCookies = new Map(browser.cookies)
  const logout = await browser.post('/logout')
  t.equal(logout.statusCode, 303)
  t.equal(logout.headers.location, '/login')

  const replay = ctx.browser()
  replay.cookies = oldCookies
  const res = await replay.get('/')
  t.equal(res.statusCode, 303, 'the copied old cookie no longer works')
  t.match(res.headers.location as string, /^\/login/)
})

t.test('a disabled user cannot log in, and an open session of theirs ends', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const admin = await makeUser(ctx.db, org, 'admin')
  const user = await makeUser(ctx.db, org, 'clerk')
  const userBrowser = ctx.browser()
  await userBrowser.login(user.username, user.password)

  const adminBrowser = ctx.browser()
  await adminBrowser.login(admin.username, admin.password)
  await adminBrowser.get('/admin/users')
  const disable = await adminBrowser.post(`/admin/users/${user.id}/disable`)
  t.equal(disable.statusCode, 303)

  const again = await userBrowser.get('/')
  t.equal(again.statusCode, 303, 'the open session ends')
  const res = await ctx.browser().post('/login', { username: user.username, password: user.password })
  t.equal(res.statusCode, 401)
  t.match(res.body, '该账号已停用')
})

t.test('changing the password ends other sessions and keeps this one', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const user = await makeUser(ctx.db, org, 'agent')
  const phone = ctx.browser()
  await phone.login(user.username, user.password)
  const desk = ctx.browser()
  await desk.login(user.username, user.password)
  await desk.get('/account/password')

  const mismatch = await desk.post('/account/password', { current: user.password, password: 'newpass123', confirm: 'newpass124' })
  t.equal(mismatch.statusCode, 400)
  t.match(mismatch.body, '两次输入的新密码不一致')
  const weak = await desk.post('/account/password', { current: user.password, password: 'short', confirm: 'short' })
  t.match(weak.body, '密码至少需要 8 位')
  const wrong = await desk.post('/account/password', { current: 'not-it-123', password: 'newpass123', confirm: 'newpass123' })
  t.match(wrong.body, '当前密码不正确')

  const ok = await desk.post('/account/password', { current: user.password, password: 'newpass123', confirm: 'newpass123' })
  t.equal(ok.statusCode, 200)
  t.match(ok.body, '密码已修改')
  t.equal((await desk.get('/')).statusCode, 200, 'this session continues')
  t.equal((await phone.get('/')).statusCode, 303, 'the other session ended')
  t.equal((await ctx.browser().post('/login', { username: user.username, password: 'newpass123' })).statusCode, 303, 'the new password works')
})

t.test('a stolen session guesses the current password no faster than the login page: the same back-off, per account and address', async (t) => {
  const { Clock } = await import('../fixtures/cases.ts')
  const clock = new Clock(new Date('2026-02-13T10:00:00+08:00'))
  const ctx = await setupApp(t, {}, { now: clock.now })
  const org = await makeOrg(ctx.db)
  const user = await makeUser(ctx.db, org, 'agent')
  const thief = ctx.browser('203.0.113.7')
  await thief.login(user.username, user.password)
  await thief.get('/account/password')
  const guesses = await Promise.all(Array.from({ length: 8 }, (_, i) => thief.post('/account/password', { current: `guess-${i}-xyz`, password: 'newpass123', confirm: 'newpass123' })))
  t.same([...new Set(guesses.map((r) => r.statusCode))], [400], 'every guess is refused with the form')
  const failures = await ctx.db.selectFrom('loginFailures').select('id').where('userId', '=', user.id).execute()
  t.equal(failures.length, 3, 'only three were checked against the password')
  t.equal(guesses.filter((r) => r.body.includes('当前密码错误次数过多')).length, 5, 'the rest were told to wait')
  const right = await thief.post('/account/password', { current: user.password, password: 'newpass123', confirm: 'newpass123' })
  t.equal(right.statusCode, 400, 'while the address waits even the right current password is refused')
  t.match(right.body, /当前密码错误次数过多，请 \d+ 秒后再试/)
  t.equal((await ctx.browser('203.0.113.7').post('/login', { username: user.username, password: user.password })).statusCode, 401, 'one rule: the login from that address waits too')

  clock.current = new Date(clock.current.getTime() + 6_000)
  const afterWait = await thief.post('/account/password', { current: 'guess-9-xyz', password: 'newpass123', confirm: 'newpass123' })
  t.match(afterWait.body, '当前密码不正确', 'after the wait one more guess is checked')
  t.match((await thief.post('/account/password', { current: 'guess-10-xyz', password: 'newpass123', confirm: 'newpass123' })).body, '当前密码错误次数过多', 'and the next waits longer')

  const owner = ctx.browser('198.51.100.20')
  await owner.login(user.username, user.password)
  await owner.get('/account/password')
  const changed = await owner.post('/account/password', { current: user.password, password: 'owner-new-2026', confirm: 'owner-new-2026' })
  t.equal(changed.statusCode, 200, 'the owner at another address is not kept out')
  t.equal((await thief.get('/')).statusCode, 303, "and the change ends the thief's session")

})

t.test('a tampered or foreign-signed session cookie is refused', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const user = await makeUser(ctx.db, org, 'admin')
  const browser = ctx.browser()
  await browser.login(user.username, user.password)
  const token = browser.cookies.get('bianmin_session')!
  const [header, payload, signature] = token.split('.')
  const forged = Buffer.from(JSON.stringify({ ...JSON.parse(Buffer.from(payload, 'base64url').toString()), sub: '999' })).toString('base64url')
  browser.cookies.set('bianmin_session', `${header}.${forged}.${signature}`)
  t.equal((await browser.get('/')).statusCode, 303, 'a changed payload is refused')
  const none = Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')
  browser.cookies.set('bianmin_session', `${none}.${payload}.`)
  t.equal((await browser.get('/')).statusCode, 303, 'alg=none is refused')
})

t.test('a session idle past its expiry is refused', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const user = await makeUser(ctx.db, org, 'agent')
  const browser = ctx.browser()
  await browser.login(user.username, user.password)
  const expired = ctx.app.jwt.sign({ sub: String(user.id), tv: 1 }, { expiresIn: -10 })
  browser.cookies.set('bianmin_session', expired)
  const res = await browser.get('/')
  t.equal(res.statusCode, 303)
  t.match(res.headers.location as string, /^\/login/)
})
