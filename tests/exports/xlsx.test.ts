import t, { type Test } from 'tap'
import { sealedIdNumber } from '../../server/privacy/id-vault.ts'
import http from 'node:http'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { PassThrough } from 'node:stream'
import { sql } from 'kysely'
import ExcelJS from '../../server/exports/exceljs.ts'
import type { Cell, Worksheet } from 'exceljs'
import type { LightMyRequestResponse } from 'fastify'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT, type CaseWorld } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import type { Browser } from '../fixtures/browser.ts'
import { displayWidth, writeWorkbook, xlsxValue, XLSX_TYPE } from '../../server/exports/xlsx.ts'
import type { ExportTable } from '../../server/exports/table.ts'

// 100,000 cases inserted, downloaded and read back: longer than tap's default 30 s.
t.setTimeout(10 * 60_000)

const ID_X = '51078119800101001X'
const ID_DIGITS = '510781198001010019'

async function workbookOf(body: Buffer) {
  const workbook = new ExcelJS.Workbook()
  await workbook.xlsx.load(body as never)
  return workbook.worksheets[0]
}

/** A CSV as the export writes it (RFC 4180, BOM first), into rows of cells. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = []
  let row: string[] = []
  let cell = ''
  let quoted = false
  const body = text.replace(/^\uFEFF/, '')
  for (let i = 0; i < body.length; i++) {
    const ch = body[i]
    if (quoted) {
      if (ch === '"' && body[i + 1] === '"') (cell += '"'), i++
      else if (ch === '"') quoted = false
      else cell += ch
    } else if (ch === '"') quoted = true
    else if (ch === ',') row.push(cell), (cell = '')
    else if (ch === '\r') continue
    else if (ch === '\n') row.push(cell), rows.push(row), (row = []), (cell = '')
    else cell += ch
  }
  return rows
}

/** A sheet's cell as the CSV writes the same value: days and times as the county's, money with two decimals. */
function asCsvText(cell: Cell): string {
  const v = cell.value
  if (v === null || v === undefined) return ''
  if (v instanceof Date) return cell.numFmt === 'yyyy-mm-dd' ? v.toISOString().slice(0, 10) : v.toISOString().slice(0, 16).replace('T', ' ')
  if (typeof v === 'number') return cell.numFmt === '0.00' ? v.toFixed(2) : String(v)
  return String(v)
}

function sheetRows(sheet: Worksheet): Cell[][] {
  const rows: Cell[][] = []
  const width = sheet.getRow(1).cellCount
  sheet.eachRow((row) => rows.push(Array.from({ length: width }, (_, i) => row.getCell(i + 1))))
  return rows
}

/** Downloads both files of one export and checks the workbook holds what the CSV holds, row for row. */
async function bothExports(t: Test, browser: Browser, url: string) {
  const csv = await browser.get(url.replace(/^(\/[\w.]+?)\.xlsx/, '$1.csv'))
  const xlsx = await browser.get(url)
  t.equal(xlsx.statusCode, 200, `${url}: 200`)
  t.equal(xlsx.headers['content-type'], XLSX_TYPE, `${url}: an Excel workbook`)
  t.equal(String(xlsx.headers['content-disposition']), String(csv.headers['content-disposition']).replace(/\.csv"$/, '.xlsx"'), `${url}: named as the CSV, with .xlsx`)
  const sheet = await workbookOf(xlsx.rawPayload)
  const cells = sheetRows(sheet)
  t.same(cells.map((row) => row.map(asCsvText)), parseCsv(csv.body), `${url}: the same header and rows as the CSV`)
  t.match(sheet.views[0], { state: 'frozen', ySplit: 1 }, `${url}: header frozen`)
  t.ok(sheet.getRow(1).getCell(1).font?.bold, `${url}: header bold`)
  return { sheet, cells, csv: parseCsv(csv.body) }
}

const column = (cells: Cell[][], header: string) => {
  const i = cells[0].findIndex((c) => c.value === header)
  if (i < 0) throw new Error(`no column ${header}`)
  return cells.slice(1).map((row) => row[i])
}

t.test('cell values by kind: text stays text, days are Excel dates at UTC midnight, money in yuan', async (t) => {
  const rows: [Parameters<typeof xlsxValue>[0], Parameters<typeof xlsxValue>[1], unknown][] = [
    ['text', ID_X, ID_X],
    ['text', ID_DIGITS, ID_DIGITS],
    ['text', '08163267166', '08163267166'],
    ['text', '=1+1', '=1+1'],
    ['text', null, null],
    ['text', '', null],
    ['number', 12, 12],
    ['number', '50', 50],
    ['number', null, null],
    ['date', '2026-03-02', new Date(Date.UTC(2026, 2, 2))],
    ['date', '2026-12-31', new Date(Date.UTC(2026, 11, 31))],
    ['date', null, null],
    ['dateTime', '2026-03-02 23:45', new Date(Date.UTC(2026, 2, 2, 23, 45))],
    ['money', '28800', 288],
    ['money', '-5', -0.05],
    ['money', 1250n, 12.5],
  ]
  for (const [kind, value, expected] of rows) t.same(xlsxValue(kind, value), expected, `${kind} ${String(value)}`)
  t.equal(displayWidth('abc'), 3)
  t.equal(displayWidth('办件编号'), 8, 'CJK characters count double')
  t.equal(displayWidth('高桥村 3 组'), 11)
})

t.test('the writer: ID numbers come back as strings with all 18 characters, days as dates; widths fit CJK', async (t) => {
  type Person = { name: string; id: string; day: string; fen: string }
  const people: Person[] = [
    { name: '张小三', id: ID_X, day: '2026-03-02', fen: '28800' },
    { name: '欧阳小明', id: ID_DIGITS, day: '2026-01-01', fen: '5' },
    { name: '=HYPERLINK("http://evil","点我")', id: '', day: '', fen: '0' },
  ]
  const table: ExportTable<Person> = {
    filename: 'x',
    sheet: '台账',
    columns: [
      { header: '姓名', kind: 'text', value: (p) => p.name },
      { header: '公民身份号码', kind: 'text', value: (p) => p.id },
      { header: 'day', kind: 'date', value: (p) => p.day },
      { header: 'amount', kind: 'money', value: (p) => p.fen },
    ],
    rows: people,
  }
  const out = new PassThrough()
  const chunks: Buffer[] = []
  out.on('data', (c: Buffer) => chunks.push(c))
  const ended = new Promise((resolve) => out.on('end', resolve))
  await writeWorkbook(out, table, people, [][Symbol.iterator]())
  await ended
  const sheet = await workbookOf(Buffer.concat(chunks))
  t.equal(sheet.name, '台账', 'the sheet is named in the language of the user')
  t.equal(sheet.rowCount, 4)
  const hostile = sheet.getRow(4).getCell(1)
  t.equal(hostile.type, ExcelJS.ValueType.String, 'a name that looks like a formula is a plain string, never run')
  t.equal(hostile.value, people[2].name)
  t.equal(sheet.getRow(4).getCell(3).value, null, 'no day: an empty cell')
  for (const [row, id] of [[2, ID_X], [3, ID_DIGITS]] as const) {
    const cell = sheet.getRow(row).getCell(2)
    t.equal(typeof cell.value, 'string', `${id} is a string cell`)
    t.equal(cell.value, id, 'all 18 characters intact')
    t.equal(cell.numFmt, '@', 'formatted as text')
  }
  const day = sheet.getRow(2).getCell(3)
  t.ok(day.value instanceof Date, 'a day is an Excel date')
  t.equal((day.value as Date).toISOString(), '2026-03-02T00:00:00.000Z')
  t.equal(day.numFmt, 'yyyy-mm-dd')
  t.equal(sheet.getRow(2).getCell(4).value, 288)
  t.equal(sheet.getRow(3).getCell(4).value, 0.05)
  t.equal(sheet.getRow(2).getCell(4).numFmt, '0.00')
  t.equal(sheet.getColumn(2).width, 20, 'the ID column is as wide as an ID number, the header counted double')
  t.ok(sheet.getColumn(3).width! >= 12, 'a date column shows its date')
})

async function ledgerWorld(t: Test) {
  const w = await setupCaseWorld(t, '2026-03-02 10:00')
  const agent = await loggedIn(w, w.agent)
  const matterId = await w.matterId('LB-03')
  const first = await submitIntake(agent, matterId, { ...APPLICANT, materialsReceived: ['居民身份证', '户口簿'] })
  const second = await submitIntake(agent, matterId, { name: '李四', phone: '08163267166', idNumber: '440524198001010013', materialsReceived: ['居民身份证', '户口簿'] })
  t.ok(first.caseId && second.caseId, 'two cases')
  return { w, agent }
}

t.test('the ledger as .xlsx: the CSV rows and columns, in either language; phones text, days dates', async (t) => {
  const { w, agent } = await ledgerWorld(t)
  const { cells } = await bothExports(t, agent, '/ledger.xlsx')
  t.equal(cells.length, 3, 'header and two cases')
  t.match(cells[0].map((c) => c.value).join(','), /^办件编号,村,申请人/, 'zh-CN headers')
  const ids = column(cells, '身份证号')
  t.same(ids.map((c) => c.value), ['440524198001010013', APPLICANT.idNumber], 'ID numbers whole, all-digit ones too')
  t.ok(ids.every((c) => typeof c.value === 'string' && c.numFmt === '@'), 'ID number cells are text')
  const phones = column(cells, '电话')
  t.same(phones.map((c) => c.value), ['08163267166', APPLICANT.phone], 'phones as typed, the leading zero kept')
  t.ok(phones.every((c) => typeof c.value === 'string' && c.numFmt === '@'), 'phone cells are text')
  const registered = column(cells, cells[0][8].value as string)
  t.ok(registered.every((c) => c.value instanceof Date && (c.value as Date).toISOString() === '2026-03-02T00:00:00.000Z'), 'registration days are dates, the local day at UTC midnight')
  t.equal(registered[0].numFmt, 'yyyy-mm-dd')
  t.equal((await workbookOf((await agent.get('/ledger.xlsx')).rawPayload)).name, '台账', 'sheet named in Chinese')

  await agent.get('/lang/en')
  const en = await bothExports(t, agent, '/ledger.xlsx?stage=accepted')
  t.match(en.cells[0].map((c) => c.value).join(','), /^Case no\./i, 'English headers')
  t.equal(en.sheet.name, 'Ledger')

  const filtered = await bothExports(t, agent, '/ledger.xlsx?from=2026-03-03')
  t.equal(filtered.cells.length, 1, 'filters apply: only the header')
  const bad = await agent.get('/ledger.xlsx?from=2026-02-30')
  const badCsv = await agent.get('/ledger.csv?from=2026-02-30')
  t.same([bad.statusCode, bad.headers['content-type'], bad.body], [badCsv.statusCode, badCsv.headers['content-type'], badCsv.body], 'a bad filter is refused as the CSV refuses it')
  t.equal(bad.statusCode, 400)

  const other = await loggedIn(w, w.otherAgent)
  t.equal(sheetRows(await workbookOf((await other.get('/ledger.xlsx')).rawPayload)).length, 1, 'an agent of another village gets no rows')
  const supervisor = await loggedIn(w, w.supervisor)
  t.equal((await bothExports(t, supervisor, '/ledger.xlsx')).cells.length, 3, 'the town supervisor gets the town')
  const clerk = await loggedIn(w, w.clerk)
  t.same([(await clerk.get('/ledger.xlsx')).statusCode, (await clerk.get('/ledger.csv')).statusCode], [403, 403], 'a clerk gets neither')
  const anonymous = await w.browser().get('/ledger.xlsx')
  t.equal(anonymous.statusCode, 303, 'anonymous visitors are sent to log in')
})

t.test('visits, the fee journal, statistics and the overdue board as .xlsx: as their CSVs', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00')
  const agent = await loggedIn(w, w.agent)
  await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const other = await loggedIn(w, w.otherAgent)
  await submitIntake(other, await w.matterId('MZ-01'), { ...APPLICANT, idNumber: '440524198001010013', materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  w.clock.set('2026-03-02 10:00')
  await agent.get('/visits')
  await agent.post('/visits', { time: '09:15', people: '2', purpose: 'consult', told: '政策咨询', caseNo: '' })
  await agent.get('/fees')
  await agent.post('/fees', { kind: 'collect', amount: '288.5', department: 'broadcasting', payer: '张小三', caseNo: '' })

  const visits = await bothExports(t, agent, '/visits.xlsx?month=2026-03')
  t.equal(visits.cells.length, 2)
  const time = visits.cells[1][0]
  t.ok(time.value instanceof Date, 'the visit time is an Excel date-time')
  t.equal((time.value as Date).toISOString(), '2026-03-02T09:15:00.000Z', 'the county’s wall time')
  t.equal(visits.cells[1][1].value, 2, 'people is a number')
  t.equal(visits.sheet.name, '接待登记')
  t.equal(sheetRows(await workbookOf((await other.get('/visits.xlsx?month=2026-03')).rawPayload)).length, 1, 'another station: none of these visits')

  const fees = await bothExports(t, agent, '/fees.xlsx?from=2026-03-02&to=2026-03-02')
  t.equal(fees.cells.length, 2)
  const amount = fees.cells[1][4]
  t.equal(amount.value, 288.5, 'money is a number in yuan')
  t.equal(amount.numFmt, '0.00', 'shown with two decimals')
  t.equal(fees.csv[1][4], '288.50')
  t.equal(fees.sheet.name, '费用流水')
  const clerk = await loggedIn(w, w.clerk)
  t.same([(await clerk.get('/fees.xlsx')).statusCode, (await clerk.get('/fees.csv')).statusCode], [403, 403], 'a clerk gets no fee journal')

  const supervisor = await loggedIn(w, w.supervisor)
  const stats = await bothExports(t, supervisor, '/stats.xlsx?month=2026-02')
  t.equal(stats.cells[1][0].value, '合计')
  t.equal(stats.cells[1][3].value, 1, 'counts are numbers: the town received one case in February')
  t.equal(stats.sheet.name, '统计表')
  t.equal((await supervisor.get('/stats.xlsx?month=2026-13')).statusCode, (await supervisor.get('/stats.csv?month=2026-13')).statusCode, 'a bad month: as the CSV')

  const overdue = await bothExports(t, supervisor, '/overdue.xlsx')
  t.equal(overdue.cells.length, 2, 'the town supervisor: only the town’s late case')
  const due = overdue.cells[1][5]
  t.ok(due.value instanceof Date, 'the due day is a date')
  t.equal(overdue.cells[1][6].value, 4, 'days late, a number')
  const county = await loggedIn(w, w.countySupervisor)
  t.equal((await bothExports(t, county, '/overdue.xlsx')).cells.length, 3, 'the county supervisor: both')
  await county.get('/lang/en')
  const en = await bothExports(t, county, '/overdue.xlsx')
  t.equal(en.sheet.name, 'Overdue')
  t.same([(await agent.get('/overdue.xlsx')).statusCode, (await agent.get('/overdue.csv')).statusCode], [403, 403], 'agents get no overdue board')
})

t.test('a download the user abandons stops the workbook and frees the export slot', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 10:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('LB-03'), { ...APPLICANT, materialsReceived: ['居民身份证', '户口簿'] })
  await sql`insert into cases (county_id, town_id, village_id, case_no, idempotency_key, idempotency_scope, applicant_id, matter_id, matter_version_id, channel, service_form, stage, agent_id, registered_on)
    select county_id, town_id, village_id, case_no || '-' || g, gen_random_uuid(), idempotency_scope, applicant_id, matter_id, matter_version_id, channel, service_form, stage, agent_id, registered_on
    from cases, generate_series(1, 20000) g where cases.id = ${caseId}`.execute(w.db)
  await w.app.listen({ port: 0, host: '127.0.0.1' })
  const port = (w.app.server.address() as { port: number }).port
  await new Promise<void>((resolve, reject) => {
    const request = http.get({ host: '127.0.0.1', port, path: '/ledger.xlsx', headers: { cookie: agent.cookieHeader(), 'sec-fetch-site': 'same-origin' } }, (res) => {
      res.once('data', () => {
        request.destroy()
        resolve()
      })
    })
    request.on('error', () => {})
    request.on('timeout', reject)
  })
  let again: LightMyRequestResponse | null = null
  for (let i = 0; i < 100; i++) {
    again = await agent.get('/ledger.xlsx?from=2026-03-03')
    if (again.statusCode !== 503) break
    await new Promise((r) => setTimeout(r, 50))
  }
  t.equal(again?.statusCode, 200, 'the same user downloads again once the abandoned download is dropped')
})

t.test('acceptance (issue 20): a ledger of 100,000 rows opens with its ID numbers intact; server memory stays flat', async (t) => {
  const ROWS = 100_000
  const started = Date.now()
  const w: CaseWorld = await setupCaseWorld(t, '2026-03-02 10:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('LB-03'), { ...APPLICANT, materialsReceived: ['居民身份证', '户口簿'] })
  const template = await w.db.selectFrom('cases').selectAll().where('id', '=', caseId!).executeTakeFirstOrThrow()
  // ID numbers of 18 characters, every other one ending in X, so an all-digit one would show any
  // loss to a floating-point number; all-digit mobile phones likewise.
  const idOf = (g: number) => `5107811980${String(g).padStart(7, '0')}${g % 2 ? String(g % 10) : 'X'}`
  const phoneOf = (g: number) => `139${String(g).padStart(8, '0')}`
  // ID numbers are stored sealed (privacy/id-vault.ts): sealed here, as intake would.
  const sealed = Array.from({ length: ROWS }, (_, i) => sealedIdNumber(idOf(i + 1)))
  await sql`insert into applicants (county_id, village_id, name, id_number_sealed, id_number_hash, phone)
    select ${template.countyId}, ${template.villageId}, '批量' || g, s.sealed, s.hash, ${sql.lit('139')} || lpad(g::text, 8, '0')
    from unnest(${sealed.map((s) => s.idNumberSealed)}::text[], ${sealed.map((s) => s.idNumberHash)}::text[]) with ordinality as s(sealed, hash, g)`.execute(w.db)
  await sql`insert into cases (county_id, town_id, village_id, case_no, idempotency_key, idempotency_scope, applicant_id, matter_id, matter_version_id, channel, service_form, stage, agent_id, registered_on, accepted_on)
    select c.county_id, c.town_id, c.village_id, 'BULK' || lpad(g::text, 7, '0'), gen_random_uuid(), c.idempotency_scope, a.id, c.matter_id, c.matter_version_id, c.channel, c.service_form, c.stage, c.agent_id,
      date '2025-01-01' + (g % 400), date '2025-01-01' + (g % 400)
    from cases c, generate_series(1, ${ROWS}) g join applicants a on a.name = '批量' || g where c.id = ${template.id}`.execute(w.db)
  await sql`analyze cases`.execute(w.db)
  t.comment(`100,000 applicants and cases inserted in ${((Date.now() - started) / 1000).toFixed(1)} s`)

  await w.app.listen({ port: 0, host: '127.0.0.1' })
  const port = (w.app.server.address() as { port: number }).port
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'xlsx-')), 'ledger.xlsx')
  t.teardown(() => fs.rmSync(path.dirname(file), { recursive: true, force: true }))
  // Live memory, not garbage: collect before each sample (tap runs tests with --expose-gc).
  const gc = (globalThis as { gc?: () => void }).gc!
  t.ok(gc, 'gc is exposed')
  gc()
  const before = process.memoryUsage()
  let heapPeak = before.heapUsed
  let rssPeak = before.rss
  const sampler = setInterval(() => {
    gc()
    const now = process.memoryUsage()
    heapPeak = Math.max(heapPeak, now.heapUsed)
    rssPeak = Math.max(rssPeak, now.rss)
  }, 250)
  const began = Date.now()
  const status = await new Promise<number>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/ledger.xlsx?from=2025-01-01&to=2026-03-02', headers: { cookie: agent.cookieHeader(), 'sec-fetch-site': 'same-origin' } }, (res) => {
      const sink = fs.createWriteStream(file)
      res.pipe(sink)
      sink.on('finish', () => resolve(res.statusCode!))
      res.on('error', reject)
    }).on('error', reject)
  })
  clearInterval(sampler)
  const seconds = (Date.now() - began) / 1000
  t.equal(status, 200)
  const heapMb = (heapPeak - before.heapUsed) / 1024 / 1024
  const rssMb = (rssPeak - before.rss) / 1024 / 1024
  t.comment(`${ROWS} rows, ${(fs.statSync(file).size / 1024 / 1024).toFixed(1)} MB of .xlsx in ${seconds.toFixed(1)} s; heap growth ${heapMb.toFixed(1)} MB, RSS growth ${rssMb.toFixed(1)} MB`)
  t.ok(heapMb < 150, `heap grew ${heapMb.toFixed(1)} MB while streaming`)
  t.ok(rssMb < 150, `RSS grew ${rssMb.toFixed(1)} MB while streaming`)

  // Read back with the library's streaming reader, as a spreadsheet program would open it.
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(file, { sharedStrings: 'cache', styles: 'cache', hyperlinks: 'ignore', worksheets: 'emit', entries: 'emit' })
  let rows = 0
  let sampled = 0
  const wrong: string[] = []
  for await (const sheet of reader) {
    for await (const row of sheet) {
      rows++
      if (rows === 1 || rows % 997 !== 0) continue
      sampled++
      const caseNo = row.getCell(1).value
      const idNumber = row.getCell(4).value
      const phone = row.getCell(5).value
      const registered = row.getCell(9).value
      const g = Number(String(caseNo).slice(4))
      if (typeof idNumber !== 'string' || idNumber !== idOf(g)) wrong.push(`row ${rows}: ${String(caseNo)} ID ${JSON.stringify(idNumber)}`)
      if (typeof phone !== 'string' || phone !== phoneOf(g)) wrong.push(`row ${rows}: ${String(caseNo)} phone ${JSON.stringify(phone)}`)
      if (!(registered instanceof Date)) wrong.push(`row ${rows}: registered ${JSON.stringify(registered)}`)
    }
  }
  t.comment(`read back in ${((Date.now() - began) / 1000 - seconds).toFixed(1)} s`)
  t.equal(rows, ROWS + 2, 'the header, the 100,000 cases and the fixture’s own case')
  t.ok(sampled > 90, `${sampled} rows sampled`)
  t.same(wrong, [], 'every sampled ID number and phone is an intact string and every day a date')
  // Recorded as an export of personal data (issue 21): every row counted as it streamed, every person in it.
  const recorded = await w.db.selectFrom('personalDataAccess').select(['exportName', 'rowCount', 'applicantIds']).where('kind', '=', 'export').execute()
  t.same(recorded.map((r) => [r.exportName, r.rowCount, r.applicantIds?.length]), [['ledger.xlsx', ROWS + 1, ROWS + 1]], 'one record of the 100,001 rows and their people')
})
