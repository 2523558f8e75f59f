import t from 'tap'
import { setupApp } from '../fixtures/app.ts'

t.test('healthz answers ok while the database is there', async (t) => {
  const ctx = await setupApp(t)
  const res = await ctx.app.inject('/healthz')
  t.equal(res.statusCode, 200)
  t.same(res.json(), { status: 'ok' })
})

t.test('an unknown page is a friendly 404, not JSON', async (t) => {
  const ctx = await setupApp(t)
  const res = await ctx.app.inject('/no/such/page')
  t.equal(res.statusCode, 404)
  t.match(res.headers['content-type'], /text\/html/)
  t.match(res.body, '找不到您要的页面')
})
