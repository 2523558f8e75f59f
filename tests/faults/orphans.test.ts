import t from 'tap'
import type { ChildProcess } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs'
import path from 'node:path'
import { Client } from '../../bench/harness.ts'
import { freePort } from '../fixtures/ports.ts'
import { startServerProcess } from '../fixtures/server-process.ts'

/**
 * A crash leaves nothing of the app running. The server alone (its pid, not its process group) is
 * killed with SIGKILL after it has started its embedded PostgreSQL and, for a PDF, its Chromium:
 * within 10 s neither runs any more, and a new start on the same folder answers /healthz. And a
 * start over a PostgreSQL an earlier crash left running in the same folder (its watchdog killed
 * too, as before there was one) stops that one and starts — while a second start on the folder of
 * a server still running is refused, as before.
 */
const root = path.resolve(import.meta.dirname, '../..')

interface Proc {
  pid: number
  ppid: number
  startTime: string
  state: string
  cmdline: string
}

function readProc(pid: number): Proc | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ')
    return { pid, ppid: Number(fields[1]), state: fields[0], startTime: fields[19], cmdline }
  } catch {
    return null
  }
}

function allProcs(): Proc[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .flatMap((name) => readProc(Number(name)) ?? [])
}

/** Every process below `pid` (children, grandchildren…), however their groups and sessions. */
function descendants(pid: number): Proc[] {
  const procs = allProcs()
  const found: Proc[] = []
  let parents = new Set([pid])
  while (parents.size > 0) {
    const next = procs.filter((p) => parents.has(p.ppid))
    found.push(...next)
    parents = new Set(next.map((p) => p.pid))
  }
  return found
}

/** Those of `procs` still running as the same process (a zombie waiting for its reaper is not). */
function stillRunning(procs: Proc[]): Proc[] {
  return procs.filter((p) => {
    const now = readProc(p.pid)
    return now !== null && now.startTime === p.startTime && now.state !== 'Z' && now.state !== 'X'
  })
}

/** Processes whose command line names the data folder: PostgreSQL's postmaster (-D DATA_DIR/pg). */
function namingFolder(dataDir: string): Proc[] {
  return allProcs().filter((p) => p.pid !== process.pid && p.state !== 'Z' && p.cmdline.includes(dataDir))
}

async function until<T>(what: string, ms: number, check: () => T | null | undefined | false): Promise<T> {
  const deadline = Date.now() + ms
  for (;;) {
    const value = check()
    if (value) return value
    if (Date.now() >= deadline) throw new Error(`${what}: not within ${ms} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** The server alone is killed in these tests: its pid, not its group (the fixture's group is for the teardown). */
const start = (dataDir: string, port: number, pgPort: number): Promise<ChildProcess> =>
  startServerProcess({ dataDir, port, pgPort, env: { PUPPETEER_EXECUTABLE_PATH: '/usr/bin/chromium' }, timeoutMs: 90_000 })

function killAll(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // gone
    }
  }
}

// Three starts of a real server, its PostgreSQL and a Chromium: well beyond tap's 30 s on a busy machine.
t.setTimeout(5 * 60_000)

t.test('after a SIGKILL of the server alone, its PostgreSQL and PDF Chromium stop and a new start answers', async (t) => {
  // A DATA_DIR the server makes itself.
  const base = mkdtempSync(path.join(root, 'data', 'orphans-'))
  const dataDir = path.join(base, 'data')
  const [port, pgPort] = [await freePort(), await freePort()]
  let child = await start(dataDir, port, pgPort)
  let started: Proc[] = []
  t.teardown(() => {
    killAll([child.pid!, ...stillRunning(started).map((p) => p.pid), ...namingFolder(dataDir).map((p) => p.pid)])
    rmSync(base, { recursive: true, force: true })
  })
  // As root the postgres user may pass through it (x for others, db/embedded.ts); nothing more.
  const mode = statSync(dataDir).mode & 0o777
  t.equal(mode & ~(process.getuid?.() === 0 ? 0o001 : 0), 0o700, `DATA_DIR is made 0${mode.toString(8)}: its owner's only`)

  const agent = new Client(`http://127.0.0.1:${port}`)
  await agent.login('jp01.a', 'demo1234')
  const pdf = await agent.get('/fees/pdf')
  t.equal(pdf.status, 200, 'a PDF was rendered, so Chromium runs')
  t.ok(pdf.bytes > 1000, `the PDF has ${pdf.bytes} bytes`)

  started = descendants(child.pid!)
  const postgres = started.filter((p) => p.cmdline.includes(path.join(dataDir, 'pg')))
  const chromium = started.filter((p) => /chrom/i.test(p.cmdline.split(' ')[0]))
  t.ok(postgres.length >= 1, `PostgreSQL runs under the server (postmaster ${postgres.map((p) => p.pid).join(', ')})`)
  t.ok(chromium.length >= 1, `Chromium runs under the server (${chromium.length} processes)`)

  const killedAt = Date.now()
  process.kill(child.pid!, 'SIGKILL')
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)))
  let left: Proc[] = []
  try {
    await until('PostgreSQL and Chromium stop', 10_000, () => {
      left = [...stillRunning(started), ...namingFolder(dataDir)]
      return left.length === 0
    })
  } catch {
    // reported below
  }
  t.same(
    left.map((p) => `${p.pid} ${p.cmdline.slice(0, 80)}`),
    [],
    `nothing of the server runs ${Date.now() - killedAt} ms after its SIGKILL (PostgreSQL, its backends, Chromium and its helpers)`,
  )

  const restartAt = Date.now()
  child = await start(dataDir, port, pgPort)
  t.pass(`a new start on the same folder answers /healthz (${Date.now() - restartAt} ms)`)
  started = descendants(child.pid!)
  process.kill(child.pid!, 'SIGTERM')
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)))
  await until('a clean stop leaves nothing running', 10_000, () => stillRunning(started).length === 0 && namingFolder(dataDir).length === 0)
  t.pass('a clean stop leaves nothing running either')
})

t.test('a start over a live PostgreSQL an earlier crash left in the same folder stops it and starts; one a running server owns is left alone', async (t) => {
  const dataDir = mkdtempSync(path.join(root, 'data', 'leftover-'))
  const [port, pgPort] = [await freePort(), await freePort()]
  let child = await start(dataDir, port, pgPort)
  let leftover: Proc[] = []
  t.teardown(() => {
    killAll([child.pid!, ...stillRunning(leftover).map((p) => p.pid), ...namingFolder(dataDir).map((p) => p.pid)])
    rmSync(dataDir, { recursive: true, force: true })
  })

  // A postmaster whose server still runs is not a leftover: a second start on the folder is
  // refused and the first keeps its database.
  const secondAt = Date.now()
  const second = await start(dataDir, await freePort(), pgPort).then(
    (c) => (c.kill('SIGKILL'), 'started'),
    (error: Error) => error.message,
  )
  t.match(second, /the server exited with 1/, `a second start on the folder of a running server stops with an error (${Date.now() - secondAt} ms)`)
  t.ok((await fetch(`http://127.0.0.1:${port}/healthz`)).ok, 'and the first one still answers /healthz')

  // A crash as before the watchdog existed: the watchdog (if any) goes first, then the server.
  const below = descendants(child.pid!)
  killAll(below.filter((p) => p.cmdline.includes('watchdog-main')).map((p) => p.pid))
  process.kill(child.pid!, 'SIGKILL')
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)))
  leftover = stillRunning(below.filter((p) => p.cmdline.includes(path.join(dataDir, 'pg'))))
  t.equal(leftover.length, 1, `the old postmaster (pid ${leftover[0]?.pid}) still holds the folder`)

  const restartAt = Date.now()
  child = await start(dataDir, port, pgPort)
  t.pass(`a new start over it answers /healthz (${Date.now() - restartAt} ms)`)
  t.same(stillRunning(leftover), [], 'the old postmaster was stopped')
  const now = namingFolder(dataDir)
  t.equal(now.length, 1, 'one postmaster holds the folder: the new one')
  t.not(now[0]?.pid, leftover[0]?.pid)
  const started = descendants(child.pid!)
  process.kill(child.pid!, 'SIGTERM')
  await new Promise((r) => (child.exitCode !== null || child.signalCode !== null ? r(null) : child.once('exit', r)))
  await until('a clean stop leaves nothing running', 10_000, () => stillRunning(started).length === 0 && namingFolder(dataDir).length === 0)
})
