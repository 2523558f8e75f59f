import t from 'tap'
import { setupApp } from '../fixtures/app.ts'
import { setupCaseWorld, loggedIn } from '../fixtures/cases.ts'
import { TEXT_SIZE_COOKIE } from '../../server/views/text-size.ts'

t.test('the header link switches to large text, remembered in a cookie, and back', async (t) => {
  const ctx = await setupApp(t)
  const browser = ctx.browser()
  const normal = await browser.get('/lookup')
  t.match(normal.body, '<html lang="zh-CN">', 'no size class until one is chosen')
  t.match(normal.body, 'href="/text-size/large?next=%2Flookup" class="text-size">大字</a>', 'the switch leads back to the page it was on')

  const large = await browser.get('/text-size/large?next=%2Flookup')
  t.equal(large.statusCode, 303)
  t.equal(large.headers.location, '/lookup')
  const cookie = (large.cookies as { name: string; value: string; maxAge?: number; httpOnly?: boolean; path?: string }[]).find((c) => c.name === TEXT_SIZE_COOKIE)
  t.equal(cookie?.value, 'large')
  t.ok(cookie?.httpOnly, 'httpOnly, like every cookie of the app')
  t.equal(cookie?.path, '/', 'for every page')
  t.ok((cookie?.maxAge ?? 0) > 30 * 24 * 3600, 'kept for longer than one visit')

  const page = await browser.get('/lookup')
  t.match(page.body, '<html lang="zh-CN" class="text-large">')
  t.match(page.body, 'href="/text-size/normal?next=%2Flookup" class="text-size">标准字</a>', 'the same place now offers the way back')
  await browser.get('/lang/en')
  t.match((await browser.get('/deadline')).body, '<html lang="en" class="text-large">', 'the size and the language are independent')

  const back = await browser.get('/text-size/normal?next=%2Fdeadline')
  t.equal(back.statusCode, 303)
  t.equal(back.headers.location, '/deadline')
  t.notOk(browser.cookies.has(TEXT_SIZE_COOKIE), 'normal size clears the cookie')
  t.match((await browser.get('/deadline')).body, '<html lang="en">')
})

t.test('the switch redirects only within the site and ignores what it does not know', async (t) => {
  const ctx = await setupApp(t)
  const browser = ctx.browser()
  const cases: [string, string][] = [
    ['/text-size/large?next=%2Fdeadline%3Fdays%3D1', '/deadline?days=1'],
    ['/text-size/large', '/'],
    ['/text-size/large?next=https%3A%2F%2Fevil.example%2F', '/'],
    ['/text-size/large?next=%2F%2Fevil.example', '/'],
    ['/text-size/large?next=%2F%09%2Fevil.example', '/'],
    ['/text-size/large?next=%2F%5Cevil.example', '/'],
    ['/text-size/large?next=javascript%3Aalert(1)', '/'],
  ]
  for (const [url, location] of cases) {
    const res = await browser.get(url)
    t.equal(res.statusCode, 303, url)
    t.equal(res.headers.location, location, `${url} → ${location}`)
  }
  const unknown = await browser.get('/text-size/huge?next=%2Fdeadline')
  t.equal(unknown.statusCode, 404, 'an unknown size is no page')
  t.match(unknown.body, '<html lang="zh-CN" class="text-large">', 'and changes nothing: the page still has the size chosen before')
  const tooLong = await browser.get(`/text-size/large?next=${'a'.repeat(600)}`)
  t.equal(tooLong.statusCode, 400, 'an overlong next is refused, not a crash')

  // A cookie set by hand to something else counts as normal text.
  const other = await ctx.app.inject({ method: 'GET', url: '/deadline', headers: { cookie: `${TEXT_SIZE_COOKIE}=%22%3E%3Cscript%3E` } })
  t.equal(other.statusCode, 200)
  t.match(other.body, '<html lang="zh-CN">')
  t.notMatch(other.body, '<script>')
})

t.test('a signed-in worklist carries the class too, and the switch stays in the header', async (t) => {
  const w = await setupCaseWorld(t)
  const agent = await loggedIn(w, w.agent)
  const switched = await agent.get('/text-size/large?next=%2F')
  t.equal(switched.headers.location, '/')
  const home = await agent.get('/')
  t.equal(home.statusCode, 200)
  t.match(home.body, '<html lang="zh-CN" class="text-large">')
  t.match(home.body, 'href="/text-size/normal?next=%2F"')
})
