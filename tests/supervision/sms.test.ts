import t from 'tap'
import http from 'node:http'
import { setupCaseWorld, loggedIn, submitIntake, versionOn, APPLICANT } from '../fixtures/cases.ts'
import { deliverSms, WebhookSender, type SmsSender } from '../../server/sms/outbox.ts'

async function completedCase(t: { teardown: (fn: () => Promise<void>) => void }) {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('LB-03'), { ...APPLICANT, serviceForm: 'on_the_spot', materialsReceived: ['居民身份证', '户口簿'] })
  const page = await agent.get(`/cases/${caseId}`)
  await agent.post(`/cases/${caseId}/complete`, { version: versionOn(page.body), outcome: 'approved' })
  return w
}

t.test('a result queues a text; failures are retried with backoff, then marked failed', async (t) => {
  const w = await completedCase(t)
  const queued = await w.db.selectFrom('smsOutbox').selectAll().execute()
  t.equal(queued.length, 1)
  t.equal(queued[0].phone, '13912345678')
  t.match(queued[0].body, '已有结果')
  t.match(queued[0].body, '农村社会养老保险参保办理')

  let calls = 0
  const flaky: SmsSender = { send: async () => { calls++; if (calls <= 2) throw new Error('gateway down') } }
  // The messages were queued just now (the database's clock); the deliveries happen after.
  const t0 = new Date(Date.now() + 1000)
  t.equal(await deliverSms(w.db, flaky, t0), 0, 'the first try fails')
  let row = await w.db.selectFrom('smsOutbox').selectAll().executeTakeFirstOrThrow()
  t.same([row.status, row.attempts, row.lastError], ['pending', 1, 'gateway down'])
  t.equal((row.nextAttemptAt as unknown as Date).getTime() - t0.getTime(), 60_000, 'retried after 1 minute')
  t.equal(await deliverSms(w.db, flaky, t0), 0, 'not before its time')
  t.equal(calls, 1)
  const t1 = new Date(t0.getTime() + 60_000)
  await deliverSms(w.db, flaky, t1)
  row = await w.db.selectFrom('smsOutbox').selectAll().executeTakeFirstOrThrow()
  t.equal((row.nextAttemptAt as unknown as Date).getTime() - t1.getTime(), 5 * 60_000, 'then after 5 minutes')
  t.equal(await deliverSms(w.db, flaky, new Date(t1.getTime() + 5 * 60_000)), 1, 'the third try gets through')
  row = await w.db.selectFrom('smsOutbox').selectAll().executeTakeFirstOrThrow()
  t.same([row.status, row.attempts], ['sent', 3])

  await w.db.insertInto('smsOutbox').values({ countyId: w.org.countyId, caseId: null, phone: '13900000000', template: 'result-ready', body: 'x' }).execute()
  const dead: SmsSender = { send: async () => { throw new Error('no route') } }
  let now = new Date(Date.now() + 1000)
  for (let i = 0; i < 6; i++) {
    await deliverSms(w.db, dead, now)
    now = new Date(now.getTime() + 13 * 3600_000)
  }
  const failed = await w.db.selectFrom('smsOutbox').selectAll().where('phone', '=', '13900000000').executeTakeFirstOrThrow()
  t.same([failed.status, failed.attempts], ['failed', 6], 'after the last backoff it is marked failed')
})

t.test('the webhook sender posts {phone, body} to the configured gateway', async (t) => {
  const received: unknown[] = []
  const gateway = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      received.push(JSON.parse(body))
      res.writeHead(received.length === 1 ? 500 : 200).end()
    })
  })
  await new Promise<void>((r) => gateway.listen(0, '127.0.0.1', r))
  t.teardown(() => gateway.close())
  const w = await completedCase(t)
  const sender = new WebhookSender(`http://127.0.0.1:${(gateway.address() as { port: number }).port}/sms`)
  t.equal(await deliverSms(w.db, sender, new Date()), 0, 'a 500 is a failure')
  t.equal(await deliverSms(w.db, sender, new Date(Date.now() + 120_000)), 1)
  t.equal(received.length, 2)
  t.match(received[1], { phone: '13912345678', body: /已有结果/ })
})
