import t from 'tap'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { Kysely, PostgresDialect, CamelCasePlugin, sql } from 'kysely'
import pg from 'pg'
import { Client } from '../../bench/harness.ts'
import { verifyChain } from '../../server/ledger/chain.ts'
import type { Database } from '../../server/db/schema.ts'
import { freePort } from '../fixtures/ports.ts'
import { startServerProcess } from '../fixtures/server-process.ts'

/**
 * The power goes: the server and its embedded PostgreSQL are killed with SIGKILL in the middle of
 * a stream of intakes. After a restart every case the server acknowledged is there, no case is
 * half-written, the numbers have no gaps and the hash chain holds; PostgreSQL starts over its
 * stale postmaster.pid.
 */
const root = path.resolve(import.meta.dirname, '../..')


// Its own process group, so the kill takes PostgreSQL down with it, as a power cut would.
const start = (dataDir: string, port: number, pgPort: number): Promise<ChildProcess> => startServerProcess({ dataDir, port, pgPort, timeoutMs: 60_000 })

// Two starts of a real server and its PostgreSQL: more than tap's default 30 s on a busy machine.
t.setTimeout(3 * 60_000)

t.test('SIGKILL during a stream of intakes loses no acknowledged case and leaves none half-written', async (t) => {
  const dataDir = mkdtempSync(path.join(root, 'data', 'kill-'))
  const [port, pgPort] = [await freePort(), await freePort()]
  let child = await start(dataDir, port, pgPort)
  t.teardown(() => {
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {
      // already gone
    }
    rmSync(dataDir, { recursive: true, force: true })
  })

  const base = `http://127.0.0.1:${port}`
  const agent = new Client(base)
  await agent.login('jp01.a', 'demo1234')
  const form = await agent.get('/cases/new')
  const matterId = /<option value="(\d+)"/.exec(form.body)![1]

  // Four writers at once; each acknowledged case (a redirect to its page) is remembered.
  const acknowledged: string[] = []
  let stop = false
  let sent = 0
  const writer = async (n: number) => {
    while (!stop) {
      sent++
      try {
        const res = await agent.post('/cases', { idempotencyKey: crypto.randomUUID(), matterId, channel: 'station', serviceForm: 'proxy', decision: 'register', name: `断电测试${n}`, phone: '13900001111', summary: '咨询' })
        const id = /\/cases\/(\d+)/.exec(res.location ?? '')?.[1]
        if (res.status === 303 && id) acknowledged.push(id)
      } catch {
        // the connection died with the server: not acknowledged
      }
    }
  }
  const writers = [1, 2, 3, 4].map(writer)
  while (acknowledged.length < 40) await new Promise((r) => setTimeout(r, 5))
  process.kill(-child.pid!, 'SIGKILL')
  stop = true
  await Promise.all(writers)
  t.ok(acknowledged.length >= 40, `${acknowledged.length} intakes acknowledged of ${sent} sent before the kill`)
  t.ok(existsSync(path.join(dataDir, 'pg', 'postmaster.pid')), 'PostgreSQL left its pid file behind')

  child = await start(dataDir, port, pgPort)
  t.pass('the server and PostgreSQL start again over the stale pid file')

  const ownerPassword = readFileSync(path.join(dataDir, 'pg-owner-password'), 'utf8').trim()
  const pool = new pg.Pool({ connectionString: `postgres://bianmin:${encodeURIComponent(ownerPassword)}@127.0.0.1:${pgPort}/bianmin`, max: 2 })
  pool.on('error', () => {})
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }), plugins: [new CamelCasePlugin()] })
  const stored = new Set((await db.selectFrom('cases').select('id').execute()).map((c) => c.id))
  const lost = acknowledged.filter((id) => !stored.has(id))
  t.same(lost, [], 'every acknowledged case is there (0 lost)')
  const halfWritten = await sql<{ id: string }>`select c.id from cases c where not exists (select 1 from case_events e where e.case_id = c.id and e.action = 'intake')`.execute(db)
  t.same(halfWritten.rows, [], 'no case without its intake event')
  const orphans = await sql<{ n: string }>`select count(*) as n from applicants a where not exists (select 1 from cases c where c.applicant_id = a.id) and a.name like '断电测试%'`.execute(db)
  t.equal(Number(orphans.rows[0].n), 0, 'no applicant file written without its case')
  const gaps = await sql<{ villageId: number; day: string; lastSeq: number; n: string }>`
    select k.village_id, k.day, k.last_seq, (select count(*) from cases c where c.village_id = k.village_id and c.registered_on = k.day) as n
    from case_counters k`.execute(db)
  t.ok(gaps.rows.length > 0)
  for (const g of gaps.rows) t.equal(Number(g.n), g.lastSeq, `station ${g.villageId} on ${g.day}: numbers 1–${g.lastSeq} with no gap`)
  const chain = await verifyChain(db, 'case_events')
  t.equal(chain.firstBreak, null, `the hash chain holds over ${chain.rows} events`)

  // And it serves: the agent's session survived, the acknowledged cases open.
  const page = await agent.get(`/cases/${acknowledged[acknowledged.length - 1]}`)
  t.equal(page.status, 200, 'the last acknowledged case opens after the restart')
  await db.destroy()
  process.kill(-child.pid!, 'SIGTERM')
  await new Promise((r) => child.once('exit', r))
})
