import t from 'tap'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import path from 'node:path'
import { sql } from 'kysely'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT } from '../fixtures/cases.ts'

const run = promisify(execFile)
const root = path.resolve(import.meta.dirname, '../..')

t.test('npm run verify-ledger reports intact chains, and a tampered row with exit code 1', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  const env = { ...process.env, DATABASE_URL: w.url, DATA_DIR: '/tmp/bianmin-verify-test', JWT_SECRET: 'x'.repeat(40) }
  const ok = await run(path.join(root, 'node_modules/.bin/tsx'), ['server/cli/verify-ledger.ts'], { cwd: root, env })
  t.match(ok.stdout, 'case_events: intact — 1 rows in 1 station chains')
  await sql`alter table case_events disable trigger case_events_append_only`.execute(w.db)
  await sql`update case_events set note = 'changed'`.execute(w.db)
  await sql`alter table case_events enable trigger case_events_append_only`.execute(w.db)
  const broken = await run(path.join(root, 'node_modules/.bin/tsx'), ['server/cli/verify-ledger.ts'], { cwd: root, env }).catch((e) => e)
  t.equal(broken.code, 1)
  t.match(broken.stdout, /case_events: BROKEN at row \d+ of station \d+ \(the row was changed\)/)
})
