import t from 'tap'
import { spawn, type ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import { createTestDatabase } from '../fixtures/database.ts'
import { DEMO_PASSWORD } from '../fixtures/demo-logins.ts'
import { addCalendarDays } from '../../server/calendar/working-days.ts'
import { formatLocalDate } from '../../server/calendar/local-time.ts'
import { createDb, createPool } from '../../server/db/connect.ts'
import { seedDemoIfEmpty } from '../../server/demo/seed.ts'
import { freePort } from '../fixtures/ports.ts'

/**
 * Two app processes on one database, as behind a load balancer: requests go to one or the other.
 * A session made on one works on the other; what one writes the other shows at once; a logout, a
 * password change or an account disabled on one ends the sessions on the other at once (each
 * request reads the user's token version; no instance caches sessions); a calendar edit on one
 * moves the other's due dates at once; two seeding at once make one demo county; the two start
 * together on one empty DATA_DIR and agree on the session secret made in it; each cron slot runs
 * on one of them; both stop cleanly on SIGTERM. Up to a minute's wait for the first cron slot both
 * instances were up for, spent mostly on the checks.
 */
const root = path.resolve(import.meta.dirname, '../..')
const ZONE = 'Asia/Shanghai'


function spawnServer(env: Record<string, string>): { child: ChildProcess; output: () => string } {
  // No JWT_SECRET: the secret is the one the instances make in DATA_DIR.
  const { JWT_SECRET: _secret, ...inherited } = process.env
  const child = spawn(process.execPath, ['--import', 'tsx', 'server/index.ts'], {
    cwd: root,
    // Its own process group: the teardown kills it whatever it started.
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...inherited, ...env },
  })
  // What it printed, for the message when it fails to start.
  let output = ''
  child.stdout!.on('data', (chunk) => (output += chunk))
  child.stderr!.on('data', (chunk) => (output += chunk))
  return { child, output: () => output }
}

async function waitHealthy(base: string, server: { child: ChildProcess; output: () => string }): Promise<void> {
  const deadline = Date.now() + 90_000
  while (Date.now() < deadline) {
    if (server.child.exitCode !== null) throw new Error(`a server exited with ${server.child.exitCode}: ${server.output().slice(-2000)}`)
    try {
      if ((await fetch(`${base}/healthz`)).ok) return
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100))
  }
  throw new Error('a server did not start within 90 s')
}

type Reply = { status: number; body: string; location: string | null }

/** A browser's cookie jar, sending each request to the instance asked for (0 or 1). */
class Session {
  cookies = new Map<string, string>()
  csrf = ''
  constructor(private bases: string[]) {}

  private remember(res: Response, body: string) {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';')
      const i = pair.indexOf('=')
      const [name, value] = [pair.slice(0, i), pair.slice(i + 1)]
      // A cleared cookie (Max-Age=0 / expired) leaves the jar.
      if (value === '' || /max-age=0/i.test(c) || /expires=Thu, 01 Jan 1970/i.test(c)) this.cookies.delete(name)
      else this.cookies.set(name, value)
    }
    const token = /name="_csrf" value="([^"]+)"/.exec(body)
    if (token) this.csrf = token[1]
  }

  private headers(): Record<string, string> {
    return { cookie: [...this.cookies].map(([k, v]) => `${k}=${v}`).join('; ') }
  }

  async get(on: number, url: string): Promise<Reply> {
    const res = await fetch(this.bases[on] + url, { headers: this.headers(), redirect: 'manual' })
    const body = await res.text()
    this.remember(res, body)
    return { status: res.status, body, location: res.headers.get('location') }
  }

  async post(on: number, url: string, form: Record<string, string>): Promise<Reply> {
    const res = await fetch(this.bases[on] + url, {
      method: 'POST',
      headers: { ...this.headers(), 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ _csrf: this.csrf, ...form }).toString(),
      redirect: 'manual',
    })
    const body = await res.text()
    this.remember(res, body)
    return { status: res.status, body, location: res.headers.get('location') }
  }

  /** Signs in: the login form from one instance, the sign-in posted to the other. */
  async login(username: string, password: string, formOn = 0): Promise<void> {
    await this.get(formOn, '/login')
    const res = await this.post(1 - formOn, '/login', { username, password })
    if (res.status !== 303) throw new Error(`login ${username}: ${res.status}`)
    // Signing in gives a new CSRF secret: a page's token for the forms that follow.
    await this.get(formOn, '/')
  }

  /** Another browser holding a copy of this one's cookies (a stolen or second copy of the session). */
  copy(): Session {
    const other = new Session(this.bases)
    other.cookies = new Map(this.cookies)
    other.csrf = this.csrf
    return other
  }
}

const signedOut = (r: Reply) => r.status === 303 && (r.location ?? '').startsWith('/login')

t.setTimeout(4 * 60_000)

t.test('two instances on one database: sessions, writes, logouts and calendar edits hold across them; each job slot runs once', async (t) => {
  const database = await createTestDatabase(t)
  const db = database.db
  // Two instances seeding an empty database at once: one demo county (without its months of
  // history, which would take most of the test's time; the instances start with DEMO_DATA on and find it).
  const other = createDb(createPool(database.url, 2))
  const seeded = await Promise.all([seedDemoIfEmpty(db, { history: false }), seedDemoIfEmpty(other, { history: false })])
  await other.destroy()
  t.equal(seeded.filter(Boolean).length, 1, 'seeding at once from two connections: one seeds, the other finds the county')
  // One DATA_DIR for both, empty: both start at once and must agree on the session secret made in it.
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bianmin-two-'))
  const ports = [await freePort(), await freePort()]
  const bases = ports.map((p) => `http://127.0.0.1:${p}`)
  const servers = ports.map((port) =>
    spawnServer({
      NODE_ENV: 'production',
      DATABASE_URL: database.url,
      DATA_DIR: dataDir,
      PORT: String(port),
      HOST: '127.0.0.1',
      DEMO_DATA: 'true',
      SECURE_COOKIES: 'false',
      LOG_LEVEL: 'error',
      APP_TIME_ZONE: ZONE,
      PUBLIC_BASE_URL: 'https://bianmin.example.gov.cn',
    }),
  )
  t.teardown(() => {
    for (const s of servers) {
      try {
        process.kill(-s.child.pid!, 'SIGKILL')
      } catch {
        // already gone
      }
    }
    rmSync(dataDir, { recursive: true, force: true })
  })
  const started = Date.now()
  await Promise.all(servers.map((s, i) => waitHealthy(bases[i], s)))
  const bothUp = new Date()
  t.pass(`both instances up in ${((Date.now() - started) / 1000).toFixed(1)} s`)

  // Each cron slot: watch for the first minute both were up for (waited for at the end, meanwhile the rest runs).
  const firstSlot = new Date(Math.ceil(bothUp.getTime() / 60_000) * 60_000)

  t.equal(Number((await db.selectFrom('counties').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n), 1, 'one demo county')
  t.ok(existsSync(path.join(dataDir, 'jwt-secret')), 'one session secret in the shared DATA_DIR')

  const user = (username: string) => db.selectFrom('users').select(['id', 'displayName']).where('username', '=', username).executeTakeFirstOrThrow()
  const agents = (await db.selectFrom('users').select('username').where('role', '=', 'agent').where('disabled', '=', false).orderBy('username').limit(4).execute()).map((u) => u.username)
  t.equal(agents.length, 4, 'the demo county has agents to sign in as')

  // 1. A session made on one instance works on the other; requests alternate.
  const agent = new Session(bases)
  await agent.login(agents[0], DEMO_PASSWORD)
  const { displayName } = await user(agents[0])
  for (let i = 0; i < 6; i++) {
    const page = await agent.get(i % 2, i % 4 < 2 ? '/' : '/cases')
    t.equal(page.status, 200, `${['A', 'B'][i % 2]}: ${i % 4 < 2 ? '/' : '/cases'} with the session signed in on B`)
    t.match(page.body, displayName, 'as the same user')
  }

  // 2. A write on A is on B's pages at once: an intake on A, its case on B; a step on B, its stage on A.
  const form = await agent.get(0, '/cases/new')
  const matterId = /<option value="(\d+)"/.exec(form.body)![1]
  const intake = await agent.post(0, '/cases', { idempotencyKey: crypto.randomUUID(), matterId, channel: 'station', serviceForm: 'proxy', decision: 'register', name: '双实例测试', phone: '13900001111', summary: '咨询' })
  t.equal(intake.status, 303, 'an intake on A')
  const caseId = /\/cases\/(\d+)/.exec(intake.location ?? '')![1]
  const { caseNo } = await db.selectFrom('cases').select('caseNo').where('id', '=', caseId).executeTakeFirstOrThrow()
  const onB = await agent.get(1, `/cases/${caseId}`)
  t.equal(onB.status, 200, 'its case opens on B at once')
  t.match(onB.body, caseNo, 'with its number')
  const search = await agent.get(1, `/cases?q=${encodeURIComponent('双实例测试')}`)
  t.match(search.body, caseNo, "and B's case list finds it")

  // 3. A calendar edit on A moves B's due dates at once (B keeps the calendar between requests).
  const admin = new Session(bases)
  await admin.login('admin', DEMO_PASSWORD)
  const start = addCalendarDays(formatLocalDate(new Date(), ZONE), 14)
  const dueOn = async (on: number) => ((await (await fetch(`${bases[on]}/api/v1/deadline?start=${start}&days=1`)).json()) as { due: string }).due
  const before = await dueOn(1)
  t.equal(await dueOn(1), before, "B's due date, asked twice: the calendar is kept")
  await admin.get(0, '/admin/calendar')
  const set = await admin.post(0, '/admin/calendar/days', { date: before, setting: 'holiday', name: '双实例测试假日' })
  t.equal(set.status, 303, `A's administrator makes ${before} a holiday`)
  const after = await dueOn(1)
  t.ok(after > before, `B's due date moves at once: ${before} → ${after}`)
  await admin.post(0, '/admin/calendar/days', { date: before, setting: 'default', name: '' })
  t.equal(await dueOn(1), before, 'and back at once when A undoes it')

  // 4. Logout on B ends the session on A: logout raises the token version, so every copy of the cookie stops.
  const leaving = new Session(bases)
  await leaving.login(agents[1], DEMO_PASSWORD)
  const leftBehind = leaving.copy()
  t.equal((await leftBehind.get(0, '/')).status, 200, 'a copy of the session works on A')
  t.ok(signedOut(await leaving.post(1, '/logout', {})), 'logout on B')
  t.ok(signedOut(await leftBehind.get(0, '/')), 'the copy of the old cookie is sent to the login page on A at once')

  // 5. A password change on A ends the user's other sessions on B at once; the session that changed it goes on.
  const changer = new Session(bases)
  await changer.login(agents[2], DEMO_PASSWORD)
  const otherDevice = new Session(bases)
  await otherDevice.login(agents[2], DEMO_PASSWORD, 1)
  const oldCookie = changer.copy()
  t.equal((await otherDevice.get(1, '/')).status, 200, 'a second session of the same user on B')
  await changer.get(0, '/account/password')
  const changed = await changer.post(0, '/account/password', { current: DEMO_PASSWORD, password: 'two-instances-2026', confirm: 'two-instances-2026' })
  t.equal(changed.status, 200, 'the password changed on A')
  t.ok(signedOut(await otherDevice.get(1, '/')), 'the other session is sent to the login page on B at once')
  t.ok(signedOut(await oldCookie.get(1, '/')), 'so is the old cookie of the session that changed it')
  t.equal((await changer.get(1, '/')).status, 200, 'the session that changed it goes on, on B too')
  const relogin = new Session(bases)
  await relogin.login(agents[2], 'two-instances-2026', 1)
  t.pass('the new password signs in through either instance')

  // 6. The administrator disables an account on B: its session on A is refused at once.
  const victim = new Session(bases)
  await victim.login(agents[3], DEMO_PASSWORD)
  t.equal((await victim.get(0, '/')).status, 200, 'signed in, on A')
  const { id: victimId } = await user(agents[3])
  await admin.get(1, '/admin/users')
  t.equal((await admin.post(1, `/admin/users/${victimId}/disable`, {})).status, 303, "B's administrator disables the account")
  t.ok(signedOut(await victim.get(0, '/')), 'its session is sent to the login page on A at once')
  t.equal((await victim.post(0, '/cases', { idempotencyKey: crypto.randomUUID(), matterId, channel: 'station', serviceForm: 'proxy', decision: 'register', name: '不应写入', phone: '13900001111', summary: '咨询' })).status, 303, 'and a write from it is refused (sent to sign in)')
  t.equal((await db.selectFrom('applicants').select('id').where('name', '=', '不应写入').execute()).length, 0, 'nothing was written')

  // 7. Both instances schedule every job; the sms delivery runs each minute. Its first slot with both up ran once.
  const deadline = firstSlot.getTime() + 30_000
  let runs: { instance: string; slot: Date | null }[] = []
  while (Date.now() < deadline) {
    runs = await db.selectFrom('jobRuns').select(['instance', 'slot']).where('job', '=', 'sms-delivery').where('slot', '=', firstSlot).execute()
    if (runs.length > 0) break
    await new Promise((r) => setTimeout(r, 250))
  }
  // Give the slower instance's timer time to try the same slot too.
  await new Promise((r) => setTimeout(r, 3000))
  runs = await db.selectFrom('jobRuns').select(['instance', 'slot']).where('job', '=', 'sms-delivery').where('slot', '=', firstSlot).execute()
  const pids = servers.map((s) => s.child.pid)
  t.equal(runs.length, 1, `the sms delivery of ${firstSlot.toISOString()} ran once, not once per instance`)
  const slots = await sql<{ job: string; slot: Date; n: string }>`select job, slot, count(*) as n from job_runs where slot is not null group by job, slot having count(*) > 1`.execute(db)
  t.same(slots.rows, [], 'no job slot ran twice')
  t.ok(runs[0] && pids.some((pid) => runs[0].instance.endsWith(`:${pid}`)), `run by one of the two (${runs[0]?.instance})`)

  // Both shut down cleanly.
  for (const s of servers) process.kill(-s.child.pid!, 'SIGTERM')
  const codes = await Promise.all(servers.map((s) => (s.child.exitCode !== null ? s.child.exitCode : new Promise((r) => s.child.once('exit', r)))))
  t.same(codes, [0, 0], 'both instances stop cleanly')
})
