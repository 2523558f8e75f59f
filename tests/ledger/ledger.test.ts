import t from 'tap'
import http from 'node:http'
import { sql } from 'kysely'
import { setupCaseWorld, loggedIn, submitIntake, versionOn, APPLICANT } from '../fixtures/cases.ts'
import { verifyChain } from '../../server/ledger/chain.ts'
import { csvCell } from '../../server/ledger/csv.ts'
import { findActor } from '../../server/accounts/users.repository.ts'
import { recordFee } from '../../server/fees/fees.service.ts'

t.test('CSV cells are quoted and formulas neutralised', async (t) => {
  const rows: [unknown, string][] = [
    ['张三', '张三'],
    ['=1+1', `"'=1+1"`],
    ['+86 138', `"'+86 138"`],
    ['-5', `"'-5"`],
    ['@SUM(A1)', `"'@SUM(A1)"`],
    ['a,b', '"a,b"'],
    ['say "hi"', '"say ""hi"""'],
    ['line\nbreak', '"line\nbreak"'],
    [null, ''],
    [12, '12'],
  ]
  for (const [value, cell] of rows) t.equal(csvCell(value), cell, String(value))
})

t.test('the ledger on screen, as CSV with a BOM, and as a PDF; hostile names stay inert', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 10:00')
  const agent = await loggedIn(w, w.agent)
  const matterId = await w.matterId('LB-03')
  await submitIntake(agent, matterId, { ...APPLICANT, materialsReceived: ['居民身份证', '户口簿'] })
  await submitIntake(agent, matterId, { name: '=HYPERLINK("http://evil","点我")', phone: '13700000000', idNumber: '', decision: 'register' })
  const page = await agent.get('/ledger')
  t.equal(page.statusCode, 200)
  t.match(page.body, '张小三')
  t.match(page.body, 'HYPERLINK(&quot;http://evil&quot;,&quot;点我&quot;)', 'escaped on the page')
  const csv = await agent.get('/ledger.csv')
  t.equal(csv.headers['content-type'], 'text/csv; charset=utf-8')
  t.ok(csv.rawPayload.subarray(0, 3).equals(Buffer.from([0xef, 0xbb, 0xbf])), 'starts with the UTF-8 BOM')
  t.match(csv.body, '办件编号,村,申请人')
  t.match(csv.body, `"'=HYPERLINK(""http://evil"",""点我"")"`, 'the formula is neutralised')
  const filtered = await agent.get('/ledger.csv?stage=registered')
  t.notMatch(filtered.body, '张小三', 'filters apply to the export')
  const pdf = await agent.get('/ledger.pdf')
  t.equal(pdf.headers['content-type'], 'application/pdf')
  t.equal((await agent.get('/ledger?from=2026-02-30')).statusCode, 400)
  const other = await loggedIn(w, w.otherAgent)
  t.notMatch((await other.get('/ledger')).body, '张小三', 'another station sees none of it')
  const supervisor = await loggedIn(w, w.supervisor)
  t.match((await supervisor.get('/ledger')).body, '张小三', 'the town supervisor sees the town')
})

t.test('a CSV export of a large range streams: server memory stays flat', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 10:00')
  const agent = await loggedIn(w, w.agent)
  await submitIntake(agent, await w.matterId('LB-03'), { ...APPLICANT, materialsReceived: ['居民身份证', '户口簿'] })
  const template = await w.db.selectFrom('cases').selectAll().executeTakeFirstOrThrow()
  const ROWS = 60000
  await sql`insert into cases (county_id, town_id, village_id, case_no, idempotency_key, idempotency_scope, applicant_id, matter_id, matter_version_id, channel, service_form, stage, agent_id, registered_on, summary)
    select county_id, town_id, village_id, case_no || '-' || g, gen_random_uuid(), idempotency_scope, applicant_id, matter_id, matter_version_id, channel, service_form, stage, agent_id, registered_on, repeat('摘要', 40)
    from cases, generate_series(1, ${ROWS}) g where cases.id = ${template.id}`.execute(w.db)
  await w.app.listen({ port: 0, host: '127.0.0.1' })
  const port = (w.app.server.address() as { port: number }).port
  // Live memory, not garbage: collect before each sample (tap runs tests with --expose-gc).
  const gc = (globalThis as { gc?: () => void }).gc!
  t.ok(gc, 'gc is exposed')
  gc()
  const before = process.memoryUsage().heapUsed
  let peak = before
  const sampler = setInterval(() => {
    gc()
    peak = Math.max(peak, process.memoryUsage().heapUsed)
  }, 50)
  const { lines, bytes } = await new Promise<{ lines: number; bytes: number }>((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/ledger.csv', headers: { cookie: [...agent.cookies].map(([k, v]) => `${k}=${v}`).join('; '), 'sec-fetch-site': 'same-origin' } }, (res) => {
      let lines = 0
      let bytes = 0
      res.on('data', (chunk: Buffer) => {
        bytes += chunk.length
        for (const b of chunk) if (b === 10) lines++
      })
      res.on('end', () => resolve({ lines, bytes }))
      res.on('error', reject)
    })
  })
  clearInterval(sampler)
  t.equal(lines, ROWS + 2, 'header and every row arrive')
  const growthMb = (peak - before) / 1024 / 1024
  t.comment(`${ROWS} rows, ${(bytes / 1024 / 1024).toFixed(1)} MB of CSV, heap growth ${growthMb.toFixed(1)} MB`)
  t.ok(growthMb < 40, `heap grew ${growthMb.toFixed(1)} MB while streaming, less than the export's full row set would need`)
})

t.test('the verifier walks the chains and names the first row edited with raw SQL', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 10:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const page = await agent.get(`/cases/${caseId}`)
  await agent.post(`/cases/${caseId}/withdraw`, { version: versionOn(page.body), reason: '申请人撤回' })
  const other = await loggedIn(w, w.otherAgent)
  await submitIntake(other, await w.matterId('MZ-01'), { ...APPLICANT, idNumber: '440524198001010013', materialsReceived: [] })
  const actor = (await findActor(w.db, w.agent.id))!
  for (let i = 0; i < 3; i++) await recordFee(w.db, actor, { kind: 'collect', amountFen: 100n, department: 'labour', payer: '', caseId: null, note: '' }, '2026-03-02', new Date())

  const intact = await verifyChain(w.db, 'case_events')
  t.same({ rows: intact.rows, stations: intact.stations, firstBreak: intact.firstBreak }, { rows: 3, stations: 2, firstBreak: null })
  t.equal((await verifyChain(w.db, 'fee_entries')).firstBreak, null)

  // An insider edits a row behind the application's back.
  const target = await w.db.selectFrom('caseEvents').select('id').where('caseId', '=', caseId!).where('action', '=', 'withdraw').executeTakeFirstOrThrow()
  await sql`alter table case_events disable trigger case_events_append_only`.execute(w.db)
  await sql`update case_events set note = '申请人主动撤回（改）' where id = ${target.id}`.execute(w.db)
  await sql`alter table case_events enable trigger case_events_append_only`.execute(w.db)
  const broken = await verifyChain(w.db, 'case_events')
  t.same(broken.firstBreak, { table: 'case_events', villageId: w.org.villages[0].id, rowId: target.id, reason: 'content' })

  const fee = await w.db.selectFrom('feeEntries').select('id').orderBy('id').executeTakeFirstOrThrow()
  await sql`alter table fee_entries disable trigger fee_entries_append_only`.execute(w.db)
  await sql`delete from fee_entries where id = ${fee.id}`.execute(w.db)
  await sql`alter table fee_entries enable trigger fee_entries_append_only`.execute(w.db)
  const feeBreak = await verifyChain(w.db, 'fee_entries')
  t.equal(feeBreak.firstBreak?.reason, 'link', 'a deleted row breaks the link of the next')

  const admin = w.browser()
  const { makeUser } = await import('../fixtures/factories.ts')
  const adminUser = await makeUser(w.db, w.org, 'admin')
  await admin.login(adminUser.username, adminUser.password)
  const report = await admin.get('/admin/ledger/verify')
  t.match(report.body, `在服务站 ${w.org.villages[0].id} 的第 ${target.id} 号记录处断开`)
  t.match(report.body, '这条记录的内容被改动过')
})
