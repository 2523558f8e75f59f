import t from 'tap'
import { createHmac } from 'node:crypto'
import http from 'node:http'
import { setupApp } from '../fixtures/app.ts'
import { makeOrg, makeUser } from '../fixtures/factories.ts'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT } from '../fixtures/cases.ts'

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url')

/** A JWT signed by hand: any header, any payload, an HMAC of the chosen hash with the chosen key. */
function forge(header: object, payload: object, key: string, hash: 'sha256' | 'sha512' = 'sha256'): string {
  const body = `${b64(header)}.${b64(payload)}`
  return `${body}.${createHmac(hash, key).update(body).digest('base64url')}`
}

t.test('session tokens: only a current, unexpired HS256 token of the app for an enabled user is accepted', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const user = await makeUser(ctx.db, org, 'agent')
  const secret = ctx.app.config.jwtSecret
  const now = Math.floor(Date.now() / 1000)
  const claims = { sub: String(user.id), tv: 1, iat: now, exp: now + 3600 }
  const tries: [string, string, number][] = [
    ['a well-formed token of the app (the control)', forge({ alg: 'HS256', typ: 'JWT' }, claims, secret), 200],
    ['signed with HS512 and the right secret (wrong algorithm)', forge({ alg: 'HS512', typ: 'JWT' }, claims, secret, 'sha512'), 303],
    ['an RS256 header over an HMAC signature (algorithm confusion)', forge({ alg: 'RS256', typ: 'JWT' }, claims, secret), 303],
    ['alg none, no signature', `${b64({ alg: 'none', typ: 'JWT' })}.${b64(claims)}.`, 303],
    ['signed with another secret', forge({ alg: 'HS256', typ: 'JWT' }, claims, 'another-secret-another-secret-another'), 303],
    ['expired an hour ago', forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, iat: now - 7200, exp: now - 3600 }, secret), 303],
    ['an old token version (before a password change or logout)', forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, tv: 0 }, secret), 303],
    ['for a user that does not exist', forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, sub: '999999' }, secret), 303],
    ['a payload edited after signing', (() => { const [h, , s] = forge({ alg: 'HS256', typ: 'JWT' }, claims, secret).split('.'); return `${h}.${b64({ ...claims, exp: now + 10 * 365 * 86400 })}.${s}` })(), 303],
    ['garbage', 'not.a.token', 303],
    ['refreshed a minute ago, but signed in 13 hours ago (past the absolute lifetime)', forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, st: now - 13 * 3600 }, secret), 303],
    ['signed in 11 hours ago and active (within the absolute lifetime)', forge({ alg: 'HS256', typ: 'JWT' }, { ...claims, st: now - 11 * 3600 }, secret), 200],
  ]
  for (const [label, token, status] of tries) {
    const res = await ctx.app.inject({ method: 'GET', url: '/', headers: { cookie: `bianmin_session=${token}` } })
    t.equal(res.statusCode, status, label)
    if (status === 303) t.match(String(res.headers.location), /^\/login/, `${label}: sent to the login page`)
  }
  // Version bumps end a token that was good a moment ago.
  await ctx.db.updateTable('users').set({ tokenVersion: 2 }).where('id', '=', user.id).execute()
  const res = await ctx.app.inject({ method: 'GET', url: '/', headers: { cookie: `bianmin_session=${tries[0][1]}` } })
  t.equal(res.statusCode, 303, 'the control token is refused once the user’s token version moves on')
})

/** One request from a chosen loopback address, as a script on the same machine would send it. */
function send(port: number, from: string, pathname: string, form: Record<string, string>, cookie: string, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const body = new URLSearchParams(form).toString()
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: '127.0.0.1', port, path: pathname, method: 'POST', localAddress: from, headers: { cookie, 'content-type': 'application/x-www-form-urlencoded', 'content-length': Buffer.byteLength(body), ...headers } },
      (res) => {
        let text = ''
        res.setEncoding('utf8')
        res.on('data', (c) => (text += c))
        res.on('end', () => resolve({ status: res.statusCode!, body: text }))
      },
    )
    req.on('error', reject)
    req.end(body)
  })
}

async function formSession(port: number, pathname: string): Promise<{ cookie: string; token: string }> {
  const res = await fetch(`http://127.0.0.1:${port}${pathname}`)
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ')
  const token = /name="_csrf" value="([^"]+)"/.exec(await res.text())![1]
  return { cookie, token }
}

t.test('login renews the CSRF secret: a token from before login is worthless after it', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const user = await makeUser(ctx.db, org, 'agent')
  const browser = ctx.browser()
  await browser.get('/login')
  const before = { cookie: browser.cookies.get('bianmin_csrf'), token: browser.csrf }
  t.ok(before.cookie && before.token)
  t.equal((await browser.post('/login', { username: user.username, password: user.password })).statusCode, 303)
  t.not(browser.cookies.get('bianmin_csrf'), before.cookie, 'a new secret is set at login')
  const stale = await browser.post('/logout', { _csrf: before.token! })
  t.equal(stale.statusCode, 403, 'a form token from before login is refused')
  await browser.get('/')
  t.equal((await browser.post('/logout')).statusCode, 303, 'a token of the new secret works')
})

t.test('with Secure cookies, the session and CSRF cookies carry the __Host- prefix', async (t) => {
  const ctx = await setupApp(t, { secureCookies: true })
  const org = await makeOrg(ctx.db)
  const user = await makeUser(ctx.db, org, 'agent')
  const page = await ctx.app.inject({ method: 'GET', url: '/login' })
  const csrf = (page.cookies as { name: string; secure?: boolean; path?: string; domain?: string }[]).find((c) => c.name === '__Host-bianmin_csrf')
  t.ok(csrf?.secure && csrf.path === '/' && !csrf.domain, 'CSRF: __Host-, Secure, Path=/, no Domain')
  const browser = ctx.browser()
  await browser.login(user.username, user.password)
  t.ok(browser.cookies.has('__Host-bianmin_session'), 'the session cookie too')
  t.notOk(browser.cookies.has('bianmin_session'), 'and no unprefixed one')
  t.equal((await browser.get('/')).statusCode, 200, 'the prefixed session works')
})

t.test('a scripted attack on loopback: parallel guesses meet the back-off and the rate limit; a forged address does not help', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00', { loginRateLimitPerMinute: 20, lookupRateLimitPerMinute: 10 })
  await w.app.listen({ port: 0, host: '127.0.0.1' })
  const port = (w.app.server.address() as { port: number }).port
  const victim = w.agent
  const { cookie, token } = await formSession(port, '/login')

  // 15 wrong passwords at once from one address (under its rate limit): three are checked, the rest wait.
  const burst = await Promise.all(Array.from({ length: 15 }, (_, i) => send(port, '127.0.0.10', '/login', { _csrf: token, username: victim.username, password: `guess-${i}-xyz` }, cookie)))
  t.same([...new Set(burst.map((r) => r.status))], [401], 'every guess gets the same 401')
  const checked = await w.db.selectFrom('loginFailures').select('id').where('userId', '=', victim.id).execute()
  t.equal(checked.length, 3, 'only three were checked against the password')
  const sameAddress = await send(port, '127.0.0.10', '/login', { _csrf: token, username: victim.username, password: victim.password }, cookie)
  t.equal(sameAddress.status, 401, 'the right password from the guessing address waits too')
  const right = await send(port, '127.0.0.99', '/login', { _csrf: token, username: victim.username, password: victim.password }, cookie)
  t.equal(right.status, 303, 'the owner, from another address, gets in: the guesser cannot lock them out')
  t.equal((await w.db.selectFrom('auditEvents').select('action').where('action', '=', 'user.login_throttled').execute()).length, 1, 'the slow-down recorded once')

  // The per-address limit: 30 logins from one address for unknown users; 20 are answered, 10 refused with 429.
  const flood = await Promise.all(Array.from({ length: 30 }, (_, i) => send(port, '127.0.0.5', '/login', { _csrf: token, username: `nobody${i}`, password: 'x' }, cookie)))
  t.equal(flood.filter((r) => r.status === 429).length, 10, 'the 21st attempt within a minute gets 429')
  t.match(flood.find((r) => r.status === 429)!.body, '操作过于频繁，请稍后再试。', 'with a message in the user’s language')
  // X-Forwarded-For from the client is not believed (TRUST_PROXY is off): a forged address is still limited.
  const spoofed = await send(port, '127.0.0.5', '/login', { _csrf: token, username: 'nobody', password: 'x' }, cookie, { 'x-forwarded-for': '203.0.113.7' })
  t.equal(spoofed.status, 429, 'a forged X-Forwarded-For does not reset the limit')

  // Guessing the last four digits of the look-up: ten tries a minute per address, then 429.
  const agent = await loggedIn(w, w.otherAgent)
  await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const caseNo = (await w.db.selectFrom('cases').select('caseNo').executeTakeFirstOrThrow()).caseNo
  const lookup = await formSession(port, '/lookup')
  const guesses = await Promise.all(Array.from({ length: 50 }, (_, i) => send(port, '127.0.0.6', '/lookup', { _csrf: lookup.token, no: caseNo, tail: String(1000 + i) }, lookup.cookie)))
  // Per address ten a minute pass the rate limit; of those, five are checked before the case number closes.
  t.equal(guesses.filter((r) => r.status === 404).length, 5, 'five guesses answered "not found"')
  t.equal(guesses.filter((r) => r.status === 429).length, 45, 'forty-five refused: 50 guesses cannot cover the 10,000 tails')
})
