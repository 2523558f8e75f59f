import tap, { test } from 'tap'
import { randomUUID } from 'node:crypto'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { sql } from 'kysely'
import ExcelJS from '../../server/exports/exceljs.ts'
import { idCheckChar } from '../../server/applicants/id-number.ts'
import { setupCaseWorld, loggedIn, type CaseWorld } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import type { Browser } from '../fixtures/browser.ts'

/**
 * The import as an attacker (or an accident) meets it, through HTTP: ID numbers typed spaced or
 * dashed never reach the database in clear.
 */
tap.setTimeout(5 * 60_000)

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
  const uploaded = await upload(w, browser, 'applicants', file)
  t.equal(uploaded.statusCode, 303)
  const page = await follow(browser, uploaded.headers.location as string)
  t.match(page.body, /发现 4 处问题/, 'the four problems are listed')
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
