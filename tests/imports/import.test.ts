import tap, { test } from 'tap'
import { openIdNumber } from '../../server/privacy/id-vault.ts'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import ExcelJS from '../../server/exports/exceljs.ts'
import { setupCaseWorld, loggedIn, type CaseWorld } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import type { Browser } from '../fixtures/browser.ts'
import { idCheckChar } from '../../server/applicants/id-number.ts'


// Whole workbooks and a database per test: longer than tap's default 30 s on a loaded machine.
tap.setTimeout(10 * 60_000)
/**
 * The Excel import as an administrator meets it: a workbook of 10,000 past cases written the way
 * people write them, checked (dry run), imported, imported again (nothing added), with the
 * server's memory watched; and a workbook with problems in 50 rows, all listed, nothing written.
 */

const FULL_WIDTH = (s: string) => s.replace(/[0-9A-Za-z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 0xfee0))

/** A valid ID number for person i, born in the 1950s–80s. */
function idNumber(i: number): string {
  const birth = new Date(Date.UTC(1950, 0, 1) + (i % 10000) * 86400000)
  const first17 = `510781${birth.toISOString().slice(0, 10).replaceAll('-', '')}${String(i % 1000).padStart(3, '0')}`
  return first17 + idCheckChar(first17)
}

/** The same ID number as people type it: spaced, dashed, full-width, x in lower case. */
function messyId(id: string, i: number): string {
  switch (i % 5) {
    case 0: return id
    case 1: return `${id.slice(0, 6)} ${id.slice(6, 14)} ${id.slice(14)}`
    case 2: return `${id.slice(0, 6)}-${id.slice(6, 14)}-${id.slice(14)}`
    case 3: return FULL_WIDTH(id)
    default: return id.toLowerCase() + ' '
  }
}

/** A date as a cell: an Excel date, a serial number, or one of the ways it is typed. */
function messyDate(y: number, m: number, d: number, i: number): unknown {
  const date = new Date(Date.UTC(y, m - 1, d))
  switch (i % 7) {
    case 0: return date
    case 1: return Math.round(date.getTime() / 86400000) + 25569 // Excel serial (1900 system)
    case 2: return `${y}.${m}.${d}`
    case 3: return `${y}/${m}/${d}`
    case 4: return `${y}年${m}月${d}日`
    case 5: return `${y}${String(m).padStart(2, '0')}${String(d).padStart(2, '0')}`
    default: return FULL_WIDTH(`${y}-${m}-${d}`)
  }
}

function messyPhone(i: number): unknown {
  const phone = `139${String(10000000 + i).slice(-8)}`
  switch (i % 5) {
    case 0: return phone
    case 1: return `${phone.slice(0, 3)} ${phone.slice(3, 7)} ${phone.slice(7)}`
    case 2: return Number(phone)
    case 3: return `+86 ${phone}`
    default: return FULL_WIDTH(`${phone.slice(0, 3)}-${phone.slice(3, 7)}-${phone.slice(7)}`)
  }
}

const HEADER = ['村（服务站）', '姓名*', '身份证号', '联系电话*', '村民小组', '事项*', '办理窗口', '登记日期*', '受理日期', '报送日期', '办结日期*', '答复日期', '办理结果*', '原台账编号', '诉求摘要']

/** Writes a cases workbook of `rows` rows (streamed to disk, as a county's big ledger would be). */
async function casesWorkbook(file: string, w: CaseWorld, rows: number, spoil: (i: number, row: unknown[]) => void = () => {}) {
  const workbook = new ExcelJS.stream.xlsx.WorkbookWriter({ filename: file, useStyles: true })
  const sheet = workbook.addWorksheet('历史办件')
  sheet.addRow(HEADER).commit()
  const stations = [w.org.villages[0], w.org.villages[2]]
  for (let i = 0; i < rows; i++) {
    const v = stations[i % 2]
    const month = 1 + (i % 6)
    const row: unknown[] = [
      i % 3 === 0 ? v.code : i % 3 === 1 ? v.name : ` ${v.name} `,
      `导入${i}`,
      messyId(idNumber(i), i),
      messyPhone(i),
      i % 4 === 0 ? '三组' : '',
      i % 2 === 0 ? 'MZ-01' : '救灾救济办理',
      '',
      messyDate(2025, month, 3, i),
      messyDate(2025, month, 3, i + 1),
      '',
      messyDate(2025, month, 20, i + 2),
      i % 3 === 0 ? messyDate(2025, month, 21, i + 3) : '',
      ['批准', '同意', 'approved', '不予批准'][i % 4],
      `OLD-${i}`,
      '历史台账',
    ]
    spoil(i, row)
    sheet.addRow(row).commit()
  }
  sheet.commit()
  await workbook.commit()
}

/** Posts the upload form as a browser does: multipart, the token first, then the file. */
async function upload(w: CaseWorld, browser: Browser, kind: string, file: string) {
  await browser.get('/imports')
  const boundary = `----bianmin${randomUUID()}`
  const head = (name: string, extra = '') => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"${extra}\r\n`
  const body = Buffer.concat([
    Buffer.from(`${head('_csrf')}\r\n${browser.csrf}\r\n`),
    Buffer.from(`${head('kind')}\r\n${kind}\r\n`),
    Buffer.from(`${head('file', `; filename="${path.basename(file)}"`)}Content-Type: application/vnd.openxmlformats-officedocument.spreadsheetml.sheet\r\n\r\n`),
    await readFile(file),
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ])
  return w.app.inject({ method: 'POST', url: '/imports', payload: body, headers: { cookie: browser.cookieHeader(), 'content-type': `multipart/form-data; boundary=${boundary}` } })
}

/** Follows the job's page as the browser would (it reloads itself while the job runs). */
async function follow(browser: Browser, url: string) {
  for (;;) {
    const page = await browser.get(url)
    if (!page.body.includes('http-equiv="refresh"')) return page
    await new Promise((r) => setTimeout(r, 200))
  }
}

const countCases = async (w: CaseWorld) => Number((await w.db.selectFrom('cases').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)

test('10,000 messy rows: a dry run, the import, a second import adding nothing, memory flat', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { dataDir: await mkdtemp(path.join(tmpdir(), 'bianmin-import-')) })
  const dir = await mkdtemp(path.join(tmpdir(), 'bianmin-xlsx-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const admin = await makeUser(w.db, w.org, 'admin')
  const browser = await loggedIn(w, admin)
  const file = path.join(dir, '台账2025.xlsx')
  const ROWS = 10_000
  await casesWorkbook(file, w, ROWS)

  // The server's memory while it reads and writes: sampled after a forced collection (what is
  // held, not garbage waiting to be collected), its growth over the start bounded.
  if (!global.gc) throw new Error('the tests run with --expose-gc')
  global.gc()
  const start = process.memoryUsage()
  let peakRss = start.rss
  let peakHeap = start.heapUsed
  const sampler = setInterval(() => {
    global.gc!()
    const m = process.memoryUsage()
    peakRss = Math.max(peakRss, m.rss)
    peakHeap = Math.max(peakHeap, m.heapUsed)
  }, 1000)
  t.teardown(() => clearInterval(sampler))

  const before = await countCases(w)
  const uploaded = await upload(w, browser, 'cases', file)
  t.equal(uploaded.statusCode, 303, 'the upload starts a job and goes to its page')
  const dry = await follow(browser, uploaded.headers.location as string)
  t.match(dry.body, /检查通过：10000 行都没有问题/, `the dry run finds no problem: ${/role="alert">([^<]+)/.exec(dry.body)?.[1] ?? ''}`)
  t.equal(await countCases(w), before, 'a dry run writes nothing')
  const dryJob = await w.db.selectFrom('importJobs').select(['errors', 'errorCount']).orderBy('id', 'desc').executeTakeFirstOrThrow()
  if (dryJob.errorCount) t.comment(JSON.stringify(dryJob.errors.slice(0, 10)))
  const jobId = /\/imports\/(\d+)/.exec(uploaded.headers.location as string)![1]
  const run = await browser.post(`/imports/${jobId}/run`)
  t.equal(run.statusCode, 303)
  const done = await follow(browser, run.headers.location as string)
  t.match(done.body, /导入完成：共 10000 行，新增 10000 条，0 条系统里已有/)
  t.equal(await countCases(w), before + ROWS, 'every row landed')

  // Every row once, with its own dates, outcome, ID number and an "imported" event in its station's chain.
  const imported = await w.db
    .selectFrom('caseEvents')
    .innerJoin('cases', 'cases.id', 'caseEvents.caseId')
    .innerJoin('applicants', 'applicants.id', 'cases.applicantId')
    .select(['caseEvents.data', 'cases.registeredOn', 'cases.completedOn', 'cases.outcome', 'cases.stage', 'applicants.idNumberSealed', 'applicants.phone', 'applicants.name'])
    .where('caseEvents.action', '=', 'imported')
    .execute()
  t.equal(imported.length, ROWS, 'one imported event per row')
  const byOriginal = new Map(imported.map((r) => [(r.data as { originalNo: string }).originalNo, r]))
  t.equal(byOriginal.size, ROWS, 'each old ledger number once')
  const wrong: string[] = []
  for (let i = 0; i < ROWS; i++) {
    const r = byOriginal.get(`OLD-${i}`)
    const month = String(1 + (i % 6)).padStart(2, '0')
    if (!r) wrong.push(`OLD-${i} missing`)
    else if (openIdNumber(r.idNumberSealed) !== idNumber(i) || r.name !== `导入${i}` || r.registeredOn !== `2025-${month}-03` || r.completedOn !== `2025-${month}-20` || r.outcome !== (i % 4 === 3 ? 'refused' : 'approved') || r.phone !== `139${String(10000000 + i).slice(-8)}` || r.stage !== 'closed') {
      wrong.push(`OLD-${i}: ${JSON.stringify(r)}`)
    }
  }
  t.same(wrong.slice(0, 5), [], 'every row read right: ID numbers, phones, dates and outcomes as meant')
  t.equal((await w.app.inject({ method: 'GET', url: '/admin/ledger/verify', headers: { cookie: browser.cookieHeader() } })).body.includes('完整'), true, 'the stations\' chains still verify')

  // Again: nothing added.
  const again = await upload(w, browser, 'cases', file)
  await follow(browser, again.headers.location as string)
  const againId = /\/imports\/(\d+)/.exec(again.headers.location as string)![1]
  const rerun = await browser.post(`/imports/${againId}/run`)
  const second = await follow(browser, rerun.headers.location as string)
  t.match(second.body, /新增 0 条，10000 条系统里已有/)
  t.equal(await countCases(w), before + ROWS, 'the second import added nothing')

  clearInterval(sampler)
  const mb = (n: number) => Math.round(n / 1024 / 1024)
  t.comment(`memory over the start: rss +${mb(peakRss - start.rss)} MB, heap +${mb(peakHeap - start.heapUsed)} MB`)
  t.ok(peakHeap - start.heapUsed < 100 * 1024 * 1024, `heap growth ${mb(peakHeap - start.heapUsed)} MB stays under 100 MB`)
  t.ok(peakRss - start.rss < 100 * 1024 * 1024, `rss growth ${mb(peakRss - start.rss)} MB stays under 100 MB`)

  // The imported cases count in the statistics of their months, and say they were imported.
  const supervisor = await loggedIn(w, w.countySupervisor)
  const stats = await supervisor.get('/stats.csv?month=2025-01')
  const lines = stats.body.split('\n')
  t.match(stats.body, /\d/, 'January 2025 has figures')
  const received = imported.filter((r) => r.registeredOn.startsWith('2025-01')).length
  t.ok(lines.some((l) => l.includes(String(received))), `January's ${received} received cases are counted`)
  const one = await w.db.selectFrom('cases').select('id').where('idempotencyKey', 'is not', null).orderBy('id', 'desc').executeTakeFirstOrThrow()
  t.match((await supervisor.get(`/cases/${one.id}`)).body, /导入的历史办件/, 'the case page says the case was imported')
})

test('a workbook with problems in 50 rows: every one listed, marked in a copy, nothing written', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { dataDir: await mkdtemp(path.join(tmpdir(), 'bianmin-import-')) })
  const dir = await mkdtemp(path.join(tmpdir(), 'bianmin-xlsx-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const admin = await makeUser(w.db, w.org, 'admin')
  const browser = await loggedIn(w, admin)
  const file = path.join(dir, 'bad.xlsx')
  const bad = new Set<number>()
  await casesWorkbook(file, w, 300, (i, row) => {
    if (i % 6 !== 5) return
    bad.add(i)
    switch (i % 5) {
      case 0: { const id = idNumber(i); row[2] = id.slice(0, 17) + (id[17] === '0' ? '1' : '0'); break } // wrong check digit
      case 1: row[7] = '2025-02-30'; break // no such date
      case 2: row[0] = '不存在村'; break // unknown station
      case 3: row[2] = 510781195001010000; break // an ID number Excel turned into a number
      default: row[12] = '也许'; break // no such outcome
    }
  })
  t.equal(bad.size, 50)
  const before = await countCases(w)
  const uploaded = await upload(w, browser, 'cases', file)
  const page = await follow(browser, uploaded.headers.location as string)
  t.match(page.body, /发现 50 处问题/)
  const listed = [...page.body.matchAll(/<tr><td class="num"><span class="phone-only">[^<]*<\/span>(\d+)<\/td>/g)].map((m) => Number(m[1]) - 2)
  t.same([...new Set(listed)].sort((a, b) => a - b), [...bad].sort((a, b) => a - b), 'every bad row is listed, by its row number in the workbook')
  t.match(page.body, /校验位/, 'a wrong check digit is reported, not fixed')
  t.match(page.body, /存成了数字/, 'an ID number stored as a number is reported')
  t.notMatch(page.body, /正式导入/, 'no import is offered')
  const jobId = /\/imports\/(\d+)/.exec(uploaded.headers.location as string)![1]
  const forced = await browser.post(`/imports/${jobId}/run`)
  t.equal(forced.headers.location, `/imports/${jobId}`, 'an import of a workbook with problems is refused')
  t.equal(await countCases(w), before, 'nothing written')

  // The copy with a problems column: the same rows, the 50 marked.
  const copy = await browser.get(`/imports/${jobId}/errors.xlsx`)
  t.equal(copy.statusCode, 200)
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(copy.rawPayload as unknown as ArrayBuffer)
  const sheet = workbook.worksheets[0]
  t.equal(sheet.rowCount, 301, 'every row of the upload')
  const lastColumn = sheet.getRow(1).cellCount
  t.equal(sheet.getRow(1).getCell(lastColumn).value, '问题')
  const marked: number[] = []
  sheet.eachRow((row, n) => {
    if (n > 1 && row.getCell(lastColumn).value) marked.push(Number(row.getCell(1).value) - 2)
  })
  t.same(marked.sort((a, b) => a - b), [...bad].sort((a, b) => a - b), 'the problems column marks exactly the bad rows')
})

test('templates, applicants and visits, and who may import', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { dataDir: await mkdtemp(path.join(tmpdir(), 'bianmin-import-')) })
  const dir = await mkdtemp(path.join(tmpdir(), 'bianmin-xlsx-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const admin = await makeUser(w.db, w.org, 'admin')
  const browser = await loggedIn(w, admin)

  const template = await browser.get('/imports/template.xlsx?kind=applicants')
  t.equal(template.statusCode, 200)
  const tw = new ExcelJS.Workbook()
  await tw.xlsx.load(template.rawPayload as unknown as ArrayBuffer)
  t.same(tw.worksheets.map((s) => s.name), ['申请人档案', '填写说明'], 'a sheet to fill and a sheet explaining it')
  t.match(String(tw.worksheets[0].getRow(1).getCell(3).value), /身份证号/)
  t.equal(tw.worksheets[0].getColumn(3).numFmt, '@', 'the ID number column is text, so Excel keeps every digit')
  t.ok(tw.worksheets[1].rowCount >= 8, 'every column explained')

  // Applicants: one file per ID number; an ambiguous village name is reported.
  const apps = path.join(dir, 'apps.xlsx')
  const wb = new ExcelJS.Workbook()
  const s = wb.addWorksheet('申请人档案')
  s.addRow(['村', '姓名', '身份证号', '联系电话'])
  s.addRow([w.org.villages[0].name, '甲', idNumber(1), '13900000001'])
  s.addRow([w.org.villages[0].code, '甲', ` ${idNumber(1)} `, '13900000001'])
  s.addRow([w.org.villages[1].name, '乙', '', '0816-3261234'])
  await wb.xlsx.writeFile(apps)
  const first = await upload(w, browser, 'applicants', apps)
  await follow(browser, first.headers.location as string)
  const runFirst = await browser.post(`${first.headers.location}/run`)
  const appsDone = await follow(browser, runFirst.headers.location as string)
  t.match(appsDone.body, /新增 2 条，1 条系统里已有/, `the same person twice in one workbook is one file: ${/role="(?:alert|status)">([^<]+)/.exec(appsDone.body)?.[1]}`)

  // Visits: counted in their month's statistics.
  const visits = path.join(dir, 'visits.xlsx')
  const vb = new ExcelJS.Workbook()
  const vs = vb.addWorksheet('来访登记')
  vs.addRow(['村（服务站）', '来访日期', '时间', '人数', '事由', '姓名', '答复情况'])
  vs.addRow([w.org.villages[0].name, '2025年11月3日', '09:30', 2, '咨询', '甲', '告知低保材料'])
  vs.addRow([w.org.villages[0].name, '2025年11月3日', '09:30', 2, '咨询', '甲', '告知低保材料'])
  vs.addRow([w.org.villages[0].name, '2025.11.4', '', '３', '办事', '', ''])
  await vb.xlsx.writeFile(visits)
  const v1 = await upload(w, browser, 'visits', visits)
  await follow(browser, v1.headers.location as string)
  const v1run = await browser.post(`${v1.headers.location}/run`)
  t.match((await follow(browser, v1run.headers.location as string)).body, /新增 3 条/, 'two alike visits on one day are two visits')
  const v2 = await upload(w, browser, 'visits', visits)
  await follow(browser, v2.headers.location as string)
  const v2run = await browser.post(`${v2.headers.location}/run`)
  t.match((await follow(browser, v2run.headers.location as string)).body, /新增 0 条，3 条系统里已有/)
  const people = await w.db.selectFrom('visits').select((eb) => eb.fn.sum<string>('people').as('n')).where('visitDate', '>=', '2025-11-01').where('visitDate', '<', '2025-12-01').executeTakeFirstOrThrow()
  t.equal(Number(people.n), 7)

  // A job cut off by a restart (never started, or its heartbeat stopped) stops reloading and says so.
  for (const heartbeatAt of [null, new Date(w.app.now().getTime() - 10 * 60_000)]) {
    const { id } = await w.db
      .insertInto('importJobs')
      .values({ countyId: w.org.countyId, kind: 'visits', mode: 'import', status: heartbeatAt ? 'running' : 'queued', fileName: 'x.xlsx', filePath: visits, fileSha256: '0'.repeat(64), dryRunId: null, createdBy: admin.id, createdAt: new Date(w.app.now().getTime() - 10 * 60_000), heartbeatAt })
      .returning('id')
      .executeTakeFirstOrThrow()
    const cut = await browser.get(`/imports/${id}`)
    t.match(cut.body, /已中断（服务器重启）/, `${heartbeatAt ? 'a stopped heartbeat' : 'never started'}: shown as cut off`)
    t.notMatch(cut.body, /http-equiv="refresh"/, 'and the page no longer reloads')
  }

  // Not a workbook; no file; and only administrators.
  const notXlsx = path.join(dir, 'x.xlsx')
  await import('node:fs/promises').then((fs) => fs.writeFile(notXlsx, 'name,id\n'))
  const refused = await upload(w, browser, 'cases', notXlsx)
  t.equal(refused.statusCode, 400)
  t.match(refused.body, /这不是 .xlsx 文件/)
  const agent = await loggedIn(w, w.agent)
  t.equal((await agent.get('/imports')).statusCode, 403)
  const jobs = await w.db.selectFrom('importJobs').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()
  const anonymous = w.browser()
  await anonymous.get('/login')
  const noLogin = await upload(w, anonymous, 'cases', apps)
  t.equal(noLogin.statusCode, 303, 'anonymous: to the login page')
  t.match(noLogin.headers.location, /^\/login/)
  t.same(await w.db.selectFrom('importJobs').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow(), jobs, 'no job started')
})
