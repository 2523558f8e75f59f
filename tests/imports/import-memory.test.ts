import t from 'tap'
import type { ChildProcess } from 'node:child_process'
import { randomUUID } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { Client } from '../../bench/harness.ts'
import { freePort } from '../fixtures/ports.ts'
import { startServerProcess } from '../fixtures/server-process.ts'
import { DEMO_PASSWORD } from '../fixtures/demo-logins.ts'
import { zipBombWorkbook } from '../fixtures/imports.ts'

/**
 * The web process as `npm start` runs it (heap capped at 192 MB), started for real, its resident
 * memory read from /proc: ten anonymous 19 MB uploads at once, then an administrator's zip bomb
 * (860 KB unpacking to 360 MB) and one that lies about its size. The server answers throughout,
 * the bombs' jobs fail with a message, and its RSS grows by less than 50 MB.
 */
const root = path.resolve(import.meta.dirname, '../..')

// A real server and its PostgreSQL, a demo county seeded, two bombs made: minutes on a busy machine.
t.setTimeout(5 * 60_000)

// The web process's heap as `npm start` caps it.
const start = (dataDir: string, port: number, pgPort: number): Promise<ChildProcess> =>
  startServerProcess({ dataDir, port, pgPort, nodeArgs: ['--max-old-space-size=192'], timeoutMs: 120_000 })

/** The web process's resident memory (VmRSS), in MB. */
function rssMb(pid: number): number {
  const line = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))
  return Number(line![1]) / 1024
}

/** Samples RSS every 50 ms until stopped; returns the highest. */
const samplers = new Set<NodeJS.Timeout>()

function sampler(pid: number) {
  let peak = rssMb(pid)
  const timer = setInterval(() => {
    try {
      peak = Math.max(peak, rssMb(pid))
    } catch {
      // the process is gone: the test says so below
    }
  }, 50)
  samplers.add(timer)
  return { stop: () => (clearInterval(timer), peak) }
}

function multipart(csrf: string, kind: string, fileName: string, file: Buffer) {
  const boundary = `----bianmin${randomUUID()}`
  const head = (name: string, extra = '') => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n`
  const body = Buffer.concat([
    Buffer.from(`${head('_csrf')}\r\n${csrf}\r\n${head('kind')}\r\n${kind}\r\n`),
    Buffer.from(`${head('file', `; filename="${fileName}"`)}Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n`),
    file,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
  return { body, type: `multipart/form-data; boundary=${boundary}` }
}

t.test('ten anonymous 19 MB uploads and two zip bombs: the server answers, its RSS grows under 50 MB', async (t) => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'bianmin-import-memory-'))
  const [port, pgPort] = [await freePort(), await freePort()]
  const child = await start(dataDir, port, pgPort)
  t.teardown(() => {
    for (const timer of samplers) clearInterval(timer)
    try {
      process.kill(-child.pid!, 'SIGKILL')
    } catch {
      // already gone
    }
    rmSync(dataDir, { recursive: true, force: true })
  })
  const pid = child.pid!
  const base = `http://127.0.0.1:${port}`
  const admin = new Client(base)
  await admin.login('admin', DEMO_PASSWORD)
  // Warmed up: the pages and the import's code loaded once, as on a server that has been running.
  for (let i = 0; i < 3; i++) {
    await admin.get('/imports')
    await admin.get('/')
  }
  await new Promise((r) => setTimeout(r, 500))
  const before = rssMb(pid)

  // Ten anonymous uploads of 19 MB at once.
  const nineteen = Buffer.alloc(19 * 1024 * 1024, 'x')
  nineteen.write('PK', 0)
  const anonymous = new Client(base)
  await anonymous.get('/login')
  const watch = sampler(pid)
  const answers = await Promise.all(
    Array.from({ length: 10 }, async () => {
      const { body, type } = multipart(anonymous.csrf, 'applicants', 'big.xlsx', nineteen)
      const res = await fetch(`${base}/imports`, { method: 'POST', body, headers: { ...anonymous.headers(), 'content-type': type }, redirect: 'manual' })
      await res.arrayBuffer()
      return res.status
    }),
  )
  const afterUploads = watch.stop()
  t.same(answers, Array(10).fill(303), 'each anonymous upload is sent to the login page')
  t.comment(`web process RSS: ${before.toFixed(1)} MB before, peak ${afterUploads.toFixed(1)} MB during the ten uploads (+${(afterUploads - before).toFixed(1)} MB)`)
  t.ok(afterUploads - before < 50, `the uploads grew RSS ${(afterUploads - before).toFixed(1)} MB (under 50 MB)`)

  // The zip bombs, by an administrator: refused from the zip's directory, and one whose directory lies.
  const bombDir = mkdtempSync(path.join(dataDir, 'bombs-'))
  const header = ['村', '姓名', '身份证号', '联系电话']
  const row = ['不存在村', '甲', '', '13900000001']
  const honest = path.join(bombDir, 'bomb.xlsx')
  const liar = path.join(bombDir, 'liar.xlsx')
  const made = await zipBombWorkbook(honest, header, row, { sharedStringsMb: 360 })
  await zipBombWorkbook(liar, header, row, { sharedStringsMb: 360, lie: true })
  t.comment(`bomb: ${made.bytes} bytes, unpacking to ${Math.round(made.unpacked / 1048576)} MB`)
  const watchBombs = sampler(pid)
  const outcomes: string[] = []
  for (const file of [honest, liar]) {
    await admin.get('/imports')
    const { body, type } = multipart(admin.csrf, 'applicants', path.basename(file), readFileSync(file))
    const res = await fetch(`${base}/imports`, { method: 'POST', body, headers: { ...admin.headers(), 'content-type': type }, redirect: 'manual' })
    t.equal(res.status, 303, `${path.basename(file)}: the upload starts a job`)
    const job = res.headers.get('location')!
    let page = await admin.get(job)
    const deadline = Date.now() + 120_000
    while (page.body.includes('http-equiv="refresh"') && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 250))
      page = await admin.get(job)
    }
    const message = /class="job-problems" role="status">([^<]+)/.exec(page.body)?.[1] ?? page.body.slice(0, 200)
    outcomes.push(message)
    t.match(page.body, /出错/, `${path.basename(file)}: the job failed: ${message}`)
  }
  const afterBombs = watchBombs.stop()
  t.equal(child.exitCode, null, 'the server is still running')
  t.equal((await fetch(`${base}/healthz`)).status, 200, 'and answers')
  t.equal((await admin.get('/imports')).status, 200, 'and serves pages')

  const grew = Math.max(afterUploads, afterBombs) - before
  t.comment(`web process RSS: ${before.toFixed(1)} MB before, peak ${afterBombs.toFixed(1)} MB during the bombs; largest growth +${grew.toFixed(1)} MB`)
  t.ok(grew < 50, `RSS grew ${grew.toFixed(1)} MB (under 50 MB)`)
})
