import t from 'tap'
import { setupCaseWorld, loggedIn } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import { BODY_LIMIT_BYTES, MAX_FORM_FIELDS } from '../../server/app.ts'

/** Request limits: too large a body, too many fields, too large a pasted import — a page that says so, nothing written. */
t.test('request limits are enforced with a clear message and nothing written', async (t) => {
  const w = await setupCaseWorld(t)
  const admin = await makeUser(w.db, w.org, 'admin')
  const agent = await loggedIn(w, w.agent)
  const adminBrowser = await loggedIn(w, admin)
  const count = async () => Number((await w.db.selectFrom('visits').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)

  const big = await agent.post('/visits', { time: '09:00', people: '1', purpose: 'consult', told: 'x'.repeat(BODY_LIMIT_BYTES + 1) })
  t.equal(big.statusCode, 413, 'a body over 256 KB: 413')
  t.match(big.headers['content-type'], /text\/html/, 'as a page')
  t.match(big.body, '提交的内容过大。')
  t.notMatch(big.body, /FST_|Error:|"statusCode"/, 'no internals shown')

  const fields: Record<string, string> = { time: '09:00', people: '1', purpose: 'consult' }
  for (let i = 0; i < MAX_FORM_FIELDS; i++) fields[`f${i}`] = 'x'
  const many = await agent.post('/visits', fields)
  t.equal(many.statusCode, 413, `${MAX_FORM_FIELDS + 4} fields: 413`)
  t.match(many.body, '提交的栏目过多，一次最多 300 项。')
  t.equal(await count(), 0, 'nothing written by either')

  const ok = await agent.post('/visits', { time: '09:00', people: '1', purpose: 'consult', told: '已告知' })
  t.equal(ok.statusCode, 303, 'an ordinary form still goes through')
  t.equal(await count(), 1)

  // Imports are pasted JSON: the same cap is the upload limit.
  const year = JSON.stringify({ year: 2027, days: Array.from({ length: 20_000 }, (_, i) => ({ date: '2027-01-01', kind: 'holiday', name: `假日${i}` })) })
  t.ok(year.length > BODY_LIMIT_BYTES)
  const upload = await adminBrowser.post('/admin/calendar/import', { year: '2027', json: year })
  t.equal(upload.statusCode, 413, 'an oversized import: 413')
  t.match(upload.body, '提交的内容过大。')
  const days = await w.db.selectFrom('calendarDays').select('date').where('date', '>=', '2027-01-01').execute()
  t.equal(days.length, 0, 'no day of the oversized import was written')
})
