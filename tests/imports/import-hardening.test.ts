import tap, { test } from 'tap'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readdir, rm, stat } from 'node:fs/promises'
import { Readable } from 'node:stream'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import ExcelJS from '../../server/exports/exceljs.ts'
import { idCheckChar } from '../../server/applicants/id-number.ts'
import { setupCaseWorld, loggedIn } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import { zipBombWorkbook } from '../fixtures/imports.ts'
import { followJob, uploadWorkbook } from '../fixtures/import-upload.ts'
import { MAX_UPLOAD_BYTES } from '../../server/imports/imports.routes.ts'
import { buildApp } from '../../server/app.ts'
import { removeOldImportWorkbooks } from '../../server/privacy/retention.ts'
import { Browser as AppBrowser } from '../fixtures/browser.ts'
import { writeFile } from 'node:fs/promises'
import { existsSync } from 'node:fs'

/**
 * The import as an attacker (or an accident) meets it, through HTTP: ID numbers typed spaced or
 * dashed never reach the database in clear; an upload is refused before its body is read unless
 * an administrator sends it with the form's token, and goes to disk as it comes; a zip bomb fails
 * its job, not the server.
 */
tap.setTimeout(5 * 60_000)

async function world(t: Parameters<typeof setupCaseWorld>[0]) {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { dataDir: await mkdtemp(path.join(tmpdir(), 'bianmin-import-')) })
  const dir = await mkdtemp(path.join(tmpdir(), 'bianmin-xlsx-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const admin = await makeUser(w.db, w.org, 'admin')
  const browser = await loggedIn(w, admin)
  return { w, dir, admin, browser }
}

test('ID numbers typed spaced or dashed are masked in everything an import keeps, and the right check digit is never told', async (t) => {
  const { w, dir, browser } = await world(t)
  const first17 = ['11010119900307771', '51078119850612002', '51078119700101123', '11010519491231002']
  const right = first17.map((f) => f + idCheckChar(f))
  const wrong = first17.map((f) => f + (idCheckChar(f) === '0' ? '1' : '0'))
  const file = path.join(dir, 'spaced.xlsx')
  const wb = new ExcelJS.Workbook()
  const s = wb.addWorksheet('申请人档案')
  s.addRow(['村', '姓名', '身份证号', '联系电话'])
  // A wrong check digit, spaced and dashed as people type them.
  s.addRow([w.org.villages[0].name, '甲', `${wrong[0].slice(0, 6)} ${wrong[0].slice(6, 14)} ${wrong[0].slice(14)}`, '13900000001'])
  s.addRow([w.org.villages[0].name, '乙', `${wrong[1].slice(0, 6)}-${wrong[1].slice(6, 10)}-${wrong[1].slice(10, 14)}-${wrong[1].slice(14)}`, '13900000002'])
  // An ID number typed into the village column: quoted back in the message's parameters.
  s.addRow([`${right[2].slice(0, 6)} ${right[2].slice(6, 14)} ${right[2].slice(14)}`, '丙', '', '13900000003'])
  // Too long by one digit, dashed: a format problem, its value kept.
  s.addRow([w.org.villages[0].name, '丁', `${right[3].slice(0, 6)}-${right[3].slice(6, 14)}-${right[3].slice(14)}9`, '13900000004'])
  await wb.xlsx.writeFile(file)
  const uploaded = await uploadWorkbook(w.app, browser, 'applicants', file)
  t.equal(uploaded.statusCode, 303)
  const page = await followJob(browser, uploaded.headers.location as string)
  const job = await w.db.selectFrom('importJobs').select(['status', 'message']).executeTakeFirst()
  t.match(page.body, /发现 4 处问题/, `the four problems are listed: ${JSON.stringify(job)}`)
  t.match(page.body, /校验位/, 'a wrong check digit is still reported')

  const rows = await sql<{ j: string }>`select row_to_json(j)::text as j from import_jobs j`.execute(w.db)
  const stored = rows.rows.map((r) => r.j).join('\n')
  // Whatever separators were typed (and however JSON escapes them), no 15 digits of a number survive.
  const digitsOnly = stored.replace(/[\s\-‐‑–—_]|\\u[0-9a-f]{4}/gi, '')
  for (const id of [...right, ...wrong]) {
    t.notOk(digitsOnly.includes(id.slice(0, 15)), `the stored job holds no part of ${id.slice(0, 6)}… past its region code`)
  }
  t.notMatch(stored, /expected/, 'no correct check digit is stored')
  t.notMatch(page.body, /按前 17 位/, 'nor shown')
})

/**
 * A multipart upload of `fileBytes` bytes, its body a stream that counts what the server reads:
 * the token and kind first (as the form sends them), then the file, made as it is read.
 */
function countedUpload(boundary: string, csrf: string, fileBytes: number, kind = 'applicants') {
  const read = { bytes: 0 }
  const head = Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="_csrf"\r\n\r\n${csrf}\r\n--${boundary}\r\nContent-Disposition: form-data; name="kind"\r\n\r\n${kind}\r\n--${boundary}\r\nContent-Disposition: form-data; name="file"; filename="big.xlsx"\r\nContent-Type: application/octet-stream\r\n\r\nPK`)
  const tail = Buffer.from(`\r\n--${boundary}--\r\n`)
  const chunk = Buffer.alloc(64 * 1024, 'x')
  let left = fileBytes - 2
  function* body() {
    read.bytes += head.length
    yield head
    while (left > 0) {
      const piece = left >= chunk.length ? chunk : chunk.subarray(0, left)
      left -= piece.length
      read.bytes += piece.length
      yield piece
    }
    read.bytes += tail.length
    yield tail
  }
  return { stream: Readable.from(body(), { objectMode: false }), read, length: head.length + fileBytes - 2 + tail.length }
}

test('an upload is authorised before its body is read, and streamed to disk within its cap', async (t) => {
  const { w, browser } = await world(t)
  const dir = path.join(w.config.dataDir, 'imports')
  const files = async () => (await readdir(dir).catch(() => [] as string[])).sort()
  const MB19 = 19 * 1024 * 1024
  const post = async (cookie: string, csrf: string, bytes: number, url = '/imports', kind = 'applicants') => {
    const boundary = `----bianmin${randomUUID()}`
    const body = countedUpload(boundary, csrf, bytes, kind)
    const res = await w.app.inject({ method: 'POST', url, payload: body.stream, headers: { cookie, 'content-type': `multipart/form-data; boundary=${boundary}`, 'content-length': String(body.length) } })
    return { res, read: body.read.bytes }
  }
  const under = 1024 * 1024

  // Anonymous: to the login page, the 19 MB left unread.
  const anonymous = w.browser()
  await anonymous.get('/login')
  const anon = await post(anonymous.cookieHeader(), anonymous.csrf ?? '', MB19)
  t.equal(anon.res.statusCode, 303, 'anonymous: to the login page')
  t.ok(anon.read < under, `anonymous: ${anon.read} bytes of the body read (under 1 MB)`)

  // Signed in, not an administrator: refused, unread.
  const agent = await loggedIn(w, w.agent)
  await agent.get('/')
  const notAdmin = await post(agent.cookieHeader(), agent.csrf ?? '', MB19)
  t.equal(notAdmin.res.statusCode, 403, 'an agent: forbidden')
  t.ok(notAdmin.read < under, `an agent: ${notAdmin.read} bytes read (under 1 MB)`)

  // The run route takes no upload at all: refused before any of it is read.
  const run = await post(browser.cookieHeader(), browser.csrf ?? '', MB19, '/imports/1/run')
  t.ok(run.res.statusCode >= 400, `a multipart body to /imports/:id/run is refused (${run.res.statusCode})`)
  t.ok(run.read < under, `and left unread: ${run.read} bytes`)

  // An administrator with a wrong token: refused before the file part is read, nothing on disk.
  await browser.get('/imports')
  const forged = await post(browser.cookieHeader(), 'not-the-token', MB19)
  t.equal(forged.res.statusCode, 403, 'a forged token: forbidden')
  t.ok(forged.read < under, `a forged token: ${forged.read} bytes read (under 1 MB)`)
  t.same(await files(), [], 'nothing written to DATA_DIR/imports')

  // An administrator over the cap: 413, the part written deleted.
  await browser.get('/imports')
  const tooBig = await post(browser.cookieHeader(), browser.csrf!, MAX_UPLOAD_BYTES + 1024 * 1024)
  t.equal(tooBig.res.statusCode, 413, 'over 20 MB: too large')
  t.same(await files(), [], 'the partial file is deleted')

  // An administrator within it: on disk as <sha256>.xlsx, 0600 in a 0700 folder; its job started.
  await browser.get('/imports')
  const ok = await post(browser.cookieHeader(), browser.csrf!, 2 * 1024 * 1024)
  t.equal(ok.res.statusCode, 303, 'a 2 MB upload starts a job')
  const saved = await files()
  t.equal(saved.length, 1, 'one file kept')
  t.match(saved[0], /^[0-9a-f]{64}\.xlsx$/, 'named by its SHA-256, worked out while streaming')
  t.equal((await stat(path.join(dir, saved[0]))).mode & 0o777, 0o600, 'the file is 0600')
  t.equal((await stat(dir)).mode & 0o777, 0o700, 'its folder is 0700')
  const job = await w.db.selectFrom('importJobs').select(['fileSha256', 'filePath']).executeTakeFirstOrThrow()
  t.equal(`${job.fileSha256}.xlsx`, saved[0], 'the job names the same file')
  await followJob(browser, ok.res.headers.location as string)

  // The same workbook again, refused (no kind chosen): the earlier job's file, of the same content, stays.
  await browser.get('/imports')
  const refused = await post(browser.cookieHeader(), browser.csrf!, 2 * 1024 * 1024, '/imports', '')
  t.equal(refused.res.statusCode, 400, 'no kind: the form again')
  t.same(await files(), saved, "the earlier job's workbook is still there, and nothing else")
})

test('a zip bomb fails its job with a message in the reader\'s words, and the server goes on', async (t) => {
  const { w, dir, browser } = await world(t)
  const header = ['村', '姓名', '身份证号', '联系电话']
  const row = [w.org.villages[0].name, '甲', '', '13900000001']

  // Honest about its size: refused from the zip's directory, before anything is unpacked.
  const bomb = path.join(dir, 'bomb.xlsx')
  const made = await zipBombWorkbook(bomb, header, row, { sharedStringsMb: 360 })
  t.ok(made.bytes < 1024 * 1024 && made.unpacked > 350 * 1024 * 1024, `a real workbook of ${made.bytes} bytes unpacking to ${Math.round(made.unpacked / 1048576)} MB`)
  const uploaded = await uploadWorkbook(w.app, browser, 'applicants', bomb)
  t.equal(uploaded.statusCode, 303)
  const page = await followJob(browser, uploaded.headers.location as string)
  t.match(page.body, /文字解压后过大（约 361 MB，最多 48 MB）/, 'the job says why, in Chinese')
  const job = await w.db.selectFrom('importJobs').select(['id', 'status']).orderBy('id', 'desc').executeTakeFirstOrThrow()
  t.equal(job.status, 'failed', 'the job failed')
  const english = await browser.get(uploaded.headers.location as string, { 'accept-language': 'en' })
  t.ok(english.statusCode === 200, 'the job page still opens')
  // The workbook of errors reads the upload again: out of the web process too.
  const errors = await browser.get(`/imports/${job.id}/errors.xlsx`)
  t.not(errors.statusCode, 500, `the workbook of errors is refused or empty, not a crash (${errors.statusCode})`)

  // Lying about its size (the directory says 1 KB): past the check, it outgrows its worker's
  // memory; the worker ends, the job fails, the server does not.
  const liar = path.join(dir, 'liar.xlsx')
  await zipBombWorkbook(liar, header, row, { sharedStringsMb: 360, lie: true })
  const lied = await uploadWorkbook(w.app, browser, 'applicants', liar)
  t.equal(lied.statusCode, 303)
  const liedPage = await followJob(browser, lied.headers.location as string)
  const liedJob = await w.db.selectFrom('importJobs').select(['status', 'message']).orderBy('id', 'desc').executeTakeFirstOrThrow()
  t.equal(liedJob.status, 'failed', `the lying bomb's job failed: ${liedJob.message}`)
  t.match(liedPage.body, /内存超过了上限|解压后过大|打不开/, 'with a message in the reader\'s words')
  t.equal((await browser.get('/imports')).statusCode, 200, 'and the server goes on serving')
})

test('jobs a crash cut off are failed when the server starts again, and their workbooks go with retention', async (t) => {
  const { w, admin } = await world(t)
  // Two jobs a previous process left behind: one running (its heartbeat long stopped), one never started.
  const workbooks = path.join(w.config.dataDir, 'imports')
  await import('node:fs/promises').then((fs) => fs.mkdir(workbooks, { recursive: true, mode: 0o700 }))
  const ids: number[] = []
  for (const [status, heartbeatAt] of [['running', new Date(w.app.now().getTime() - 10 * 60_000)], ['queued', null]] as const) {
    const file = path.join(workbooks, `${status}.xlsx`)
    await writeFile(file, 'PK workbook with ID numbers in clear', { mode: 0o600 })
    const { id } = await w.db
      .insertInto('importJobs')
      .values({ countyId: w.org.countyId, kind: 'applicants', mode: 'dry_run', status, fileName: 'x.xlsx', filePath: file, fileSha256: '0'.repeat(64), dryRunId: null, createdBy: admin.id, createdAt: new Date(w.app.now().getTime() - 10 * 60_000), heartbeatAt })
      .returning('id')
      .executeTakeFirstOrThrow()
    ids.push(id)
  }

  // An upload a crash cut off mid-way, an hour old, and one another instance is writing now.
  const stale = path.join(workbooks, 'upload-cut-off.part')
  const fresh = path.join(workbooks, 'upload-in-progress.part')
  await writeFile(stale, 'half an upload with ID numbers in clear', { mode: 0o600 })
  await writeFile(fresh, 'an upload arriving now', { mode: 0o600 })
  const anHourAgo = new Date(Date.now() - 61 * 60_000)
  await import('node:fs/promises').then((fs) => fs.utimes(stale, anHourAgo, anHourAgo))

  // The server starts again on the same database.
  const restarted = await buildApp({ config: w.config, db: w.db, logger: false, now: w.app.now })
  await restarted.ready()
  t.teardown(() => restarted.close())
  const browser = new AppBrowser(restarted)
  await browser.login(admin.username, admin.password)
  t.notOk(existsSync(stale), 'an upload cut off an hour ago is removed at start')
  t.ok(existsSync(fresh), 'one still arriving is left alone')
  for (const id of ids) {
    const job = await w.db.selectFrom('importJobs').select(['status', 'message', 'finishedAt']).where('id', '=', id).executeTakeFirstOrThrow()
    t.equal(job.status, 'failed', `job ${id} left ${id === ids[0] ? 'running' : 'queued'} is failed at start`)
    t.ok(job.finishedAt, 'with the time it was found')
    const page = await browser.get(`/imports/${id}`)
    t.match(page.body, /导入被中断（服务器重启），没有写完/, 'its page says it was cut off')
    t.notMatch(page.body, /http-equiv="refresh"/, 'and does not reload')
  }

  // Retention takes their workbooks like any finished job's.
  const later = new Date(w.app.now().getTime() + (w.config.importWorkbookDays + 1) * 86_400_000)
  const removed = await removeOldImportWorkbooks(w.db, later, { days: w.config.importWorkbookDays })
  t.equal(removed, 2, 'both workbooks removed')
  for (const status of ['running', 'queued']) t.notOk(existsSync(path.join(workbooks, `${status}.xlsx`)), `the ${status} job's workbook is gone`)
})
