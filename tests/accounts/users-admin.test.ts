import t from 'tap'
import { setupApp } from '../fixtures/app.ts'
import { makeOrg, makeUser } from '../fixtures/factories.ts'

t.test('an admin creates an agent who can then log in and sees their station', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const admin = await makeUser(ctx.db, org, 'admin')
  const browser = ctx.browser()
  await browser.login(admin.username, admin.password)
  const form = await browser.get('/admin/users/new')
  t.equal(form.statusCode, 200)
  t.match(form.body, org.villages[1].name, 'the village list is offered')
  const res = await browser.post('/admin/users', {
    username: 'New.Agent',
    displayName: '新代办员',
    phone: '13912345678',
    role: 'agent',
    post: 'B',
    villageId: String(org.villages[1].id),
    windowId: '',
    townId: '',
    password: 'welcome123',
  })
  t.equal(res.statusCode, 303)
  const list = await browser.get('/admin/users')
  t.match(list.body, 'new.agent')
  t.match(list.body, '新代办员')

  const agent = ctx.browser()
  const login = await agent.post('/login', { username: 'new.agent', password: 'welcome123' })
  t.equal(login.statusCode, 303)
  const home = await agent.get('/')
  t.match(home.body, org.villages[1].name)
  const audit = await ctx.db.selectFrom('auditEvents').select(['action', 'actorId']).where('action', '=', 'user.created').execute()
  t.same(audit, [{ action: 'user.created', actorId: admin.id }])
})

t.test('bad input re-renders the form with every value kept and a message per field', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const admin = await makeUser(ctx.db, org, 'admin')
  const browser = ctx.browser()
  await browser.login(admin.username, admin.password)
  await browser.get('/admin/users/new')
  const before = await ctx.db.selectFrom('users').select('id').execute()

  const res = await browser.post('/admin/users', {
    username: 'ok.name',
    displayName: '',
    phone: '12345',
    role: 'agent',
    post: 'A',
    villageId: '',
    password: 'welcome123',
  })
  t.equal(res.statusCode, 400)
  t.match(res.body, 'value="ok.name"', 'the username typed is kept')
  t.match(res.body, 'value="12345"', 'the bad phone is kept so it can be corrected')
  t.match(res.body, '请填写此项', 'the empty name is marked')
  t.match(res.body, '请填写 11 位手机号', 'the phone is marked')
  t.notMatch(res.body, 'welcome123', 'the password is not sent back')

  const ruled = await browser.post('/admin/users', {
    username: 'ok.name',
    displayName: '某人',
    phone: '13912345678',
    role: 'agent',
    post: 'A',
    villageId: '',
    password: 'welcome123',
  })
  t.equal(ruled.statusCode, 400)
  t.match(ruled.body, '代办员须选择所在村')
  t.match(ruled.body, 'value="某人"')

  const taken = await browser.post('/admin/users', { username: admin.username, displayName: '重名', role: 'admin', password: 'welcome123' })
  t.match(taken.body, '该用户名已被使用')

  const after = await ctx.db.selectFrom('users').select('id').execute()
  t.equal(after.length, before.length, 'nothing was written')
})

t.test('only admins reach the user pages', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  for (const role of ['agent', 'clerk', 'supervisor'] as const) {
    const user = await makeUser(ctx.db, org, role)
    const browser = ctx.browser()
    await browser.login(user.username, user.password)
    const res = await browser.get('/admin/users')
    t.equal(res.statusCode, 403, `${role} is refused`)
    t.match(res.body, '您没有权限')
  }
})

t.test('editing a user changes their place and ends their sessions', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const admin = await makeUser(ctx.db, org, 'admin')
  const agent = await makeUser(ctx.db, org, 'agent', { villageId: org.villages[0].id })
  const agentBrowser = ctx.browser()
  await agentBrowser.login(agent.username, agent.password)

  const browser = ctx.browser()
  await browser.login(admin.username, admin.password)
  const edit = await browser.get(`/admin/users/${agent.id}/edit`)
  t.match(edit.body, agent.username)
  const res = await browser.post(`/admin/users/${agent.id}`, {
    displayName: '调岗代办员',
    phone: '',
    role: 'agent',
    post: 'A',
    villageId: String(org.villages[2].id),
    password: '',
  })
  t.equal(res.statusCode, 303)
  const row = await ctx.db.selectFrom('users').select(['villageId', 'displayName']).where('id', '=', agent.id).executeTakeFirstOrThrow()
  t.same(row, { villageId: org.villages[2].id, displayName: '调岗代办员' })
  t.equal((await agentBrowser.get('/')).statusCode, 303, 'the moved agent logs in again')
  t.equal((await browser.get('/admin/users/99999/edit')).statusCode, 404)
})
