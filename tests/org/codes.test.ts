import t from 'tap'
import { setupApp } from '../fixtures/app.ts'
import { makeOrg, makeUser } from '../fixtures/factories.ts'

t.test('division and department codes: a wrong one is explained on the form with what was typed; a right one is saved and audited', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const admin = await makeUser(ctx.db, org, 'admin')
  const browser = ctx.browser()
  await browser.login(admin.username, admin.password)
  const village = org.villages[0]

  const form = await browser.get(`/admin/org/villages/${village.id}/edit`)
  t.equal(form.statusCode, 200)
  t.match(form.body, '行政区划代码（12 位）')
  t.match(form.body, 'name="divisionCode" value=""', 'empty until set')

  for (const wrong of ['51072210120', '5107221012011', '51072210120A']) {
    const bad = await browser.post(`/admin/org/villages/${village.id}`, { name: '改名村', stationPhone: '', officeHours: '', address: '', divisionCode: wrong })
    t.equal(bad.statusCode, 400, `${wrong} is refused`)
    t.match(bad.body, '行政区划代码须为 12 位数字')
    t.match(bad.body, `name="divisionCode" value="${wrong}"`, 'the typed value stays')
    t.match(bad.body, 'value="改名村"', 'and so do the other fields')
    t.match(bad.body, 'aria-invalid="true" aria-describedby="divisionCode-error"')
  }
  t.equal((await ctx.db.selectFrom('villages').select('name').where('id', '=', village.id).executeTakeFirstOrThrow()).name, village.name, 'nothing saved')

  const en = await ctx.app.inject({ method: 'POST', url: `/admin/org/villages/${village.id}`, headers: { cookie: `${browser.cookieHeader()}; lang=en`, 'content-type': 'application/x-www-form-urlencoded' }, payload: new URLSearchParams({ _csrf: browser.csrf!, name: 'x', divisionCode: '123' }).toString() })
  t.equal(en.statusCode, 400)
  t.match(en.body, 'A division code is exactly 12 digits', 'in the user’s language')

  const ok = await browser.post(`/admin/org/villages/${village.id}`, { name: '改名村', stationPhone: '', officeHours: '', address: '', divisionCode: ' 510722101201 ' })
  t.equal(ok.statusCode, 303)
  t.equal((await ctx.db.selectFrom('villages').select('divisionCode').where('id', '=', village.id).executeTakeFirstOrThrow()).divisionCode, '510722101201')
  const audit = await ctx.db.selectFrom('auditEvents').select(['actorId', 'data']).where('action', '=', 'village.edited').where('subjectId', '=', String(village.id)).executeTakeFirstOrThrow()
  t.match(audit, { actorId: admin.id, data: { divisionCode: '510722101201' } })
  t.match((await browser.get(`/admin/org/villages/${village.id}/edit`)).body, 'name="divisionCode" value="510722101201"')

  // Cleared again: allowed until the code is known.
  t.equal((await browser.post(`/admin/org/villages/${village.id}`, { name: '改名村', divisionCode: '' })).statusCode, 303)

  // A town's code, and a new village with its code.
  t.equal((await browser.post(`/admin/org/towns/${org.towns[0].id}`, { name: '第1镇', divisionCode: 'abc' })).statusCode, 400)
  t.equal((await browser.post(`/admin/org/towns/${org.towns[0].id}`, { name: '第1镇', divisionCode: '510722101000' })).statusCode, 303)
  t.equal((await ctx.db.selectFrom('towns').select('divisionCode').where('id', '=', org.towns[0].id).executeTakeFirstOrThrow()).divisionCode, '510722101000')
  const created = await browser.post('/admin/org/villages', { townId: String(org.towns[0].id), code: 'NEW01', name: '新村', divisionCode: '510722101209' })
  t.equal(created.statusCode, 303)
  t.equal((await ctx.db.selectFrom('villages').select('divisionCode').where('code', '=', 'NEW01').executeTakeFirstOrThrow()).divisionCode, '510722101209')

  // A window's department code: letters, digits and hyphens, saved in capitals.
  const window = org.windows[0]
  const badWindow = await browser.post(`/admin/org/windows/${window.id}`, { department: window.department, name: window.name, departmentCode: '民政 01', active: 'on' })
  t.equal(badWindow.statusCode, 400)
  t.match(badWindow.body, '部门编码须为 2–32 位数字、大写字母或短横线')
  t.match(badWindow.body, 'name="departmentCode" value="民政 01"')
  t.equal((await browser.post(`/admin/org/windows/${window.id}`, { department: window.department, name: window.name, departmentCode: '11510722mb0001', active: 'on' })).statusCode, 303)
  t.equal((await ctx.db.selectFrom('windows').select('departmentCode').where('id', '=', window.id).executeTakeFirstOrThrow()).departmentCode, '11510722MB0001')
  const windowAudit = await ctx.db.selectFrom('auditEvents').select('data').where('action', '=', 'window.edited').where('subjectId', '=', String(window.id)).executeTakeFirstOrThrow()
  t.match(windowAudit.data, { departmentCode: '11510722MB0001' })

  // The database holds the rule too.
  await t.rejects(ctx.db.updateTable('villages').set({ divisionCode: '12345' }).where('id', '=', village.id).execute(), { code: '23514' })
})
