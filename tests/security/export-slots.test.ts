import t from 'tap'
import Fastify from 'fastify'
import fp from 'fastify-plugin'
import exportSlots from '../../server/ledger/export-slots.ts'
import errorHandler from '../../server/errors/handler.ts'

// A stand-in for the app's own plugins: who is asking, from a header, and the error page as text.
async function appWithSlowExport(total: number) {
  const app = Fastify()
  await app.register(fp(async (a) => {
    a.decorateRequest('actor', null)
    a.addHook('onRequest', async (request) => {
      const id = request.headers['x-user']
      if (id) (request as { actor: unknown }).actor = { id: Number(id) }
    })
  }, { name: 'auth' }))
  await app.register(errorHandler)
  await app.register(exportSlots, { total })
  const gates: (() => void)[] = []
  app.get('/big.csv', async () => {
    await new Promise<void>((resolve) => gates.push(resolve))
    return 'a,b\n'
  })
  app.get('/big.xlsx', async () => {
    await new Promise<void>((resolve) => gates.push(resolve))
    return 'PK'
  })
  app.get('/page', async () => 'ok')
  await app.ready()
  return { app, openGates: () => gates.splice(0).forEach((g) => g()), waiting: () => gates.length }
}

t.test('CSV exports: at most N at once and one per user; the rest get 503 with a message; slots come back', async (t) => {
  const { app, openGates, waiting } = await appWithSlowExport(2)
  t.teardown(() => app.close())
  const first = app.inject({ method: 'GET', url: '/big.csv', headers: { 'x-user': '1' } })
  while (waiting() < 1) await new Promise((r) => setTimeout(r, 5))
  const sameUser = await app.inject({ method: 'GET', url: '/big.csv', headers: { 'x-user': '1' } })
  t.equal(sameUser.statusCode, 503, "a user's second export at once is refused")
  const second = app.inject({ method: 'GET', url: '/big.csv', headers: { 'x-user': '2' } })
  while (waiting() < 2) await new Promise((r) => setTimeout(r, 5))
  const third = await app.inject({ method: 'GET', url: '/big.csv', headers: { 'x-user': '3' } })
  t.equal(third.statusCode, 503, 'a third user meets the cap of two')
  t.match(third.body, /繁忙|busy/i, 'with a message')
  t.equal((await app.inject({ method: 'GET', url: '/page', headers: { 'x-user': '3' } })).statusCode, 200, 'pages are not limited')
  openGates()
  t.equal((await first).statusCode, 200)
  t.equal((await second).statusCode, 200)
  const again = app.inject({ method: 'GET', url: '/big.csv', headers: { 'x-user': '3' } })
  while (waiting() < 1) await new Promise((r) => setTimeout(r, 5))
  openGates()
  t.equal((await again).statusCode, 200, 'once they finish, the slots are free again')
})

t.test('.xlsx exports take the same slots as CSV exports', async (t) => {
  const { app, openGates, waiting } = await appWithSlowExport(2)
  t.teardown(() => app.close())
  const workbook = app.inject({ method: 'GET', url: '/big.xlsx', headers: { 'x-user': '1' } })
  while (waiting() < 1) await new Promise((r) => setTimeout(r, 5))
  t.equal((await app.inject({ method: 'GET', url: '/big.csv', headers: { 'x-user': '1' } })).statusCode, 503, 'a CSV while the same user’s workbook is made is refused')
  t.equal((await app.inject({ method: 'GET', url: '/big.xlsx', headers: { 'x-user': '1' } })).statusCode, 503, 'so is a second workbook')
  openGates()
  t.equal((await workbook).statusCode, 200)
  const again = app.inject({ method: 'GET', url: '/big.xlsx', headers: { 'x-user': '1' } })
  while (waiting() < 1) await new Promise((r) => setTimeout(r, 5))
  openGates()
  t.equal((await again).statusCode, 200, 'the slot comes back')
})
