import t from 'tap'
import { Writable } from 'node:stream'
import { ConfigError, loadConfig, publicBaseUrlProblem, publicBaseUrlWarning } from '../../server/config/config.ts'
import { buildApp } from '../../server/app.ts'
import { setupApp } from '../fixtures/app.ts'
import { createTestDatabase } from '../fixtures/database.ts'
import { makeOrg, makeUser } from '../fixtures/factories.ts'

const env = (extra: Record<string, string> = {}) => ({ NODE_ENV: 'test', JWT_SECRET: 'test-secret-test-secret-test-secret-0123', DATA_DIR: '/tmp/bianmin-test', ...extra })

t.test('whether printed QR codes can lead anywhere, from the configured base address', async (t) => {
  const rows: [string | undefined, 'unset' | 'local' | null][] = [
    [undefined, 'unset'],
    ['', 'unset'],
    ['http://localhost:3000', 'local'],
    ['http://LOCALHOST', 'local'],
    ['http://127.0.0.1:3412', 'local'],
    ['http://127.1.2.3', 'local'],
    ['http://[::1]:3000', 'local'],
    ['http://0.0.0.0:3000', 'local'],
    ['http://bianmin.localhost', 'local'],
    ['https://bianmin.example.gov.cn', null],
    ['http://192.168.1.20:3000', null],
    ['https://localhost.example.cn', null],
  ]
  for (const [value, expected] of rows) {
    const config = loadConfig(env(value === undefined ? {} : { PUBLIC_BASE_URL: value }))
    t.equal(publicBaseUrlProblem(config), expected, `${value ?? '(not set)'}: ${expected ?? 'fine'}`)
    t.equal(publicBaseUrlWarning(config) === null, expected === null, 'a log line exactly when there is a problem')
  }
  t.equal(loadConfig(env()).publicBaseUrl, 'http://localhost:3000', 'unset: a guess at this machine')
  t.match(publicBaseUrlWarning(loadConfig(env()))!, /^PUBLIC_BASE_URL is not set: the QR codes .* point at http:\/\/localhost:3000/)
  t.match(publicBaseUrlWarning(loadConfig(env({ PUBLIC_BASE_URL: 'http://127.0.0.1:3412' })))!, /^PUBLIC_BASE_URL is http:\/\/127\.0\.0\.1:3412, this machine/)
  t.equal(loadConfig(env({ PUBLIC_BASE_URL: 'https://bianmin.example.gov.cn/' })).publicBaseUrl, 'https://bianmin.example.gov.cn', 'no trailing slash: addresses are built as base + /lookup')
  for (const bad of ['bianmin.example.gov.cn', 'ftp://bianmin.example.gov.cn']) {
    const error = (() => {
      try {
        loadConfig(env({ PUBLIC_BASE_URL: bad }))
      } catch (e) {
        return e
      }
    })()
    t.ok(error instanceof ConfigError && /^PUBLIC_BASE_URL must/.test(error.message), `${bad}: refused at start with a message`)
  }
})

t.test('the warning is written to the log when the app is built', async (t) => {
  const database = await createTestDatabase(t)
  for (const [base, warned] of [[undefined, true], ['http://localhost:3412', true], ['https://bianmin.example.gov.cn', false]] as const) {
    const lines: { level: number; msg: string }[] = []
    const stream = new Writable({ write: (chunk, _enc, done) => (lines.push(JSON.parse(String(chunk))), done()) })
    const config = loadConfig(env({ LOG_LEVEL: 'warn', ...(base ? { PUBLIC_BASE_URL: base } : {}) }), { databaseUrl: database.url })
    const app = await buildApp({ config, db: database.db, logger: { stream } })
    await app.ready()
    await app.close()
    const line = lines.find((l) => l.msg.includes('PUBLIC_BASE_URL'))
    t.equal(Boolean(line), warned, `${base ?? '(not set)'}: ${warned ? 'warned' : 'quiet'}`)
    if (line) t.equal(line.level, 40, 'at warn level')
  }
})

t.test('the administrator’s home page warns while QR codes would lead to this machine', async (t) => {
  for (const [base, warned] of [['http://localhost:3000', true], ['http://127.0.0.1:8080', true], ['https://bianmin.example.gov.cn', false]] as const) {
    const ctx = await setupApp(t, { publicBaseUrl: base })
    const org = await makeOrg(ctx.db)
    const admin = await makeUser(ctx.db, org, 'admin')
    const supervisor = await makeUser(ctx.db, org, 'supervisor')
    const browser = ctx.browser()
    await browser.login(admin.username, admin.password)
    const home = await browser.get('/')
    t.equal(home.statusCode, 200)
    if (warned) {
      t.match(home.body, /<p class="config-warning"><strong>二维码无法打开：<\/strong> 公网访问地址（PUBLIC_BASE_URL）是本机地址 http:\/\/[^ ]+：打印文书/, `${base}: warned`)
      t.match(home.body, base, 'naming the address')
      await browser.get('/lang/en?next=/')
      t.match((await browser.get('/')).body, 'QR codes lead nowhere:', 'in English too')
    } else {
      t.notMatch(home.body, 'config-warning', `${base}: no warning`)
    }
    const other = ctx.browser()
    await other.login(supervisor.username, supervisor.password)
    t.notMatch((await other.get('/')).body, 'config-warning', 'only the administrator, who can fix it, is told')
  }
  const unset = await setupApp(t, { publicBaseUrlSet: false })
  const org = await makeOrg(unset.db)
  const admin = await makeUser(unset.db, org, 'admin')
  const browser = unset.browser()
  await browser.login(admin.username, admin.password)
  t.match((await browser.get('/')).body, '未设置公网访问地址（PUBLIC_BASE_URL）', 'not set at all: warned')
})
