import t from 'tap'
import { setupApp } from '../fixtures/app.ts'
import { makeOrg, makeUser } from '../fixtures/factories.ts'

t.test("another village's record answers 404, the same page as a missing one", async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const [own, neighbour] = org.villages
  const agent = await makeUser(ctx.db, org, 'agent', { villageId: own.id })
  const browser = ctx.browser()
  await browser.login(agent.username, agent.password)

  const mine = await browser.get(`/villages/${own.id}`)
  t.equal(mine.statusCode, 200)
  t.match(mine.body, own.name)

  const foreign = await browser.get(`/villages/${neighbour.id}`)
  const missing = await browser.get('/villages/999999')
  t.equal(foreign.statusCode, 404)
  t.equal(missing.statusCode, 404)
  t.notMatch(foreign.body, neighbour.name, 'nothing about the other village leaks')
  const strip = (body: string) => body.replace(/name="_csrf" value="[^"]+"/g, '').replace(/next=[^"]*/g, '')
  t.equal(strip(foreign.body), strip(missing.body), 'foreign and missing look the same')
})

t.test('a town supervisor sees its own town only; a county supervisor sees all', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const townSup = await makeUser(ctx.db, org, 'supervisor', { townId: org.towns[0].id })
  const countySup = await makeUser(ctx.db, org, 'supervisor')
  const inTown = org.villages.filter((v) => v.townId === org.towns[0].id)
  const outside = org.villages.filter((v) => v.townId !== org.towns[0].id)

  const browser = ctx.browser()
  await browser.login(townSup.username, townSup.password)
  const list = await browser.get('/villages')
  for (const v of inTown) t.match(list.body, v.name)
  for (const v of outside) t.notMatch(list.body, v.name)
  t.equal((await browser.get(`/villages/${outside[0].id}`)).statusCode, 404)

  const county = ctx.browser()
  await county.login(countySup.username, countySup.password)
  const all = await county.get('/villages')
  for (const v of org.villages) t.match(all.body, v.name)
})

t.test('a clerk sees the villages of its window’s town', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const townWindow = org.windows.find((w) => w.townId === org.towns[1].id)!
  const clerk = await makeUser(ctx.db, org, 'clerk', { windowId: townWindow.id })
  const browser = ctx.browser()
  await browser.login(clerk.username, clerk.password)
  const inTown = org.villages.find((v) => v.townId === org.towns[1].id)!
  const outside = org.villages.find((v) => v.townId === org.towns[0].id)!
  t.equal((await browser.get(`/villages/${inTown.id}`)).statusCode, 200)
  t.equal((await browser.get(`/villages/${outside.id}`)).statusCode, 404)
})

t.test('an admin edits the org tree; bad input keeps the values', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const admin = await makeUser(ctx.db, org, 'admin')
  const browser = ctx.browser()
  await browser.login(admin.username, admin.password)
  const tree = await browser.get('/admin/org')
  t.equal(tree.statusCode, 200)
  for (const v of org.villages) t.match(tree.body, v.name)

  const bad = await browser.post('/admin/org/villages', { townId: String(org.towns[0].id), code: 'x!', name: '新村', stationPhone: '' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, '编码须为 2–12 位字母或数字')
  t.match(bad.body, 'value="新村"')

  const ok = await browser.post('/admin/org/villages', { townId: String(org.towns[0].id), code: 'NEW01', name: '新村', stationPhone: '0816-3200001', officeHours: '周三', address: '' })
  t.equal(ok.statusCode, 303)
  const dup = await browser.post('/admin/org/villages', { townId: String(org.towns[0].id), code: 'NEW01', name: '另一个村' })
  t.match(dup.body, '该编码已被使用')

  const town = await browser.post('/admin/org/towns', { code: 'TNEW', name: '新镇', phone: '', address: '' })
  t.equal(town.statusCode, 303)
  const win = await browser.post('/admin/org/windows', { townId: '', department: 'forestry', name: '县林业窗口', phone: '' })
  t.equal(win.statusCode, 303)
  const edited = await browser.post(`/admin/org/villages/${org.villages[0].id}`, { name: '改名村', stationPhone: '13800001111', officeHours: '每天', address: '村委会' })
  t.equal(edited.statusCode, 303)
  const after = await browser.get('/admin/org')
  for (const name of ['新村', '新镇', '县林业窗口', '改名村']) t.match(after.body, name)
  const audit = await ctx.db.selectFrom('auditEvents').select('action').orderBy('id').execute()
  t.same(audit.map((a) => a.action), ['village.created', 'town.created', 'window.created', 'village.edited'])
})
