import t from 'tap'
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { setupApp } from '../fixtures/app.ts'
import { messageKeys, translate, hasMessage } from '../../server/i18n/i18n.ts'

t.test('Chinese by default; the header link switches to English and back', async (t) => {
  const ctx = await setupApp(t)
  const browser = ctx.browser()
  const zh = await browser.get('/login')
  t.match(zh.body, '<html lang="zh-CN">')
  t.match(zh.body, '<h1>登录</h1>')
  const switched = await browser.get('/lang/en?next=%2Flogin')
  t.equal(switched.statusCode, 303)
  t.equal(switched.headers.location, '/login')
  const en = await browser.get('/login')
  t.match(en.body, '<html lang="en">')
  t.match(en.body, '<h1>Log in</h1>')
  const wrong = await browser.post('/login', { username: 'nobody', password: 'x' })
  t.match(wrong.body, 'The username or password is not correct.', 'messages follow the language')
  await browser.get('/lang/zh-CN')
  t.match((await browser.get('/login')).body, '<h1>登录</h1>')
  t.equal((await browser.get('/lang/fr')).statusCode, 400, 'an unknown language is refused, not a crash')
})

t.test('both locale files hold the same keys', async (t) => {
  t.same(messageKeys('en'), messageKeys('zh-CN'))
  t.equal(translate('zh-CN', 'password.tooShort', { min: 8 }), '密码至少需要 8 位。')
  t.equal(translate('en', 'no.such.key'), 'no.such.key')
})

t.test('every key a page or a route names exists in both languages', async (t) => {
  const root = path.resolve(import.meta.dirname, '../..')
  const files: string[] = []
  const walk = (dir: string) => {
    for (const f of readdirSync(dir)) {
      const p = path.join(dir, f)
      if (statSync(p).isDirectory()) walk(p)
      else if (/\.(hbs|ts)$/.test(f)) files.push(p)
    }
  }
  for (const d of ['views', 'templates', 'server']) walk(path.join(root, d))
  const keys = new Set<string>()
  for (const file of files) {
    const source = readFileSync(file, 'utf8')
    for (const m of source.matchAll(/\{\{t "([a-zA-Z0-9_.]+)"/g)) keys.add(m[1])
    for (const m of source.matchAll(/label="([a-zA-Z0-9_]+\.[a-zA-Z0-9_.]+)"/g)) keys.add(m[1])
    for (const m of source.matchAll(/(?:RuleViolation|request\.t|\bt)\('([a-zA-Z0-9_]+\.[a-zA-Z0-9_.]+)'/g)) keys.add(m[1])
  }
  t.ok(keys.size > 50, `found ${keys.size} keys in use`)
  const missing = [...keys].filter((k) => !hasMessage('zh-CN', k) || !hasMessage('en', k))
  t.same(missing, [], 'no key is missing')
})
