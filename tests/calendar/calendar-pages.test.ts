import t from 'tap'
import { setupApp } from '../fixtures/app.ts'
import { makeOrg, makeUser } from '../fixtures/factories.ts'
import { nextYearScheduleMissing } from '../../server/calendar/calendar.service.ts'
import { forgetCachedCalendar } from '../../server/calendar/calendar.repository.ts'

t.beforeEach(() => forgetCachedCalendar())

t.test('the public calculator explains a due date without login', async (t) => {
  const ctx = await setupApp(t)
  const res = await ctx.browser().get('/deadline?start=2026-02-13&days=3')
  t.equal(res.statusCode, 200)
  t.match(res.body, '<strong class="due-date">2026-02-25</strong>')
  t.match(res.body, '2026-02-14 星期六 <span class="badge">春节调休上班</span>')
  t.match(res.body, '2026-02-16 星期一 — 法定节假日（春节）')
  const paused = await ctx.browser().get('/deadline?start=2026-03-02&days=3&pause=2026-03-03..2026-03-04')
  t.match(paused.body, '<strong class="due-date">2026-03-09</strong>')
  t.match(paused.body, '暂停计时')
})

t.test('the JSON API answers in the documented shape', async (t) => {
  const ctx = await setupApp(t)
  const res = await ctx.app.inject('/api/v1/deadline?start=2026-02-13&days=3')
  t.equal(res.statusCode, 200)
  const body = res.json()
  t.equal(body.start, '2026-02-13')
  t.equal(body.days, 3)
  t.equal(body.due, '2026-02-25')
  t.same(body.counted, ['2026-02-14', '2026-02-24', '2026-02-25'])
  t.same(body.skipped[0], { date: '2026-02-15', reason: 'holiday', name: '春节' })
  const weekend = (await ctx.app.inject('/api/v1/deadline?start=2026-03-06&days=1')).json()
  t.same(weekend.skipped, [
    { date: '2026-03-07', reason: 'weekend' },
    { date: '2026-03-08', reason: 'weekend' },
  ])
})

t.test('bad parameters answer 400 with a message, never 500', async (t) => {
  const ctx = await setupApp(t)
  const bad = [
    'start=2026-02-30&days=3',
    'start=2026-02-13&days=abc',
    'start=2026-02-13&days=-1',
    'start=2026-02-13&days=99999',
    'days=3',
    'start=2026-02-13',
    'start=%00%01&days=3',
    'start=2026-02-13&days=3&unit=fortnights',
    'start=2026-02-13&days=3&start=2026-02-14',
  ]
  for (const q of bad) {
    const api = await ctx.app.inject(`/api/v1/deadline?${q}`)
    t.equal(api.statusCode, 400, `api ${q}`)
    t.type(api.json().error, 'string')
    const page = await ctx.app.inject(`/deadline?${q}`)
    t.equal(page.statusCode, 400, `page ${q}`)
    t.match(page.headers['content-type'], /text\/html/)
  }
  const page = await ctx.app.inject('/deadline?start=2026-02-30&days=3')
  t.match(page.body, '请填写有效日期')
  t.match(page.body, 'value="2026-02-30"', 'the typed value stays')
})

t.test('an admin marks a day and due dates move; every change is kept', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const admin = await makeUser(ctx.db, org, 'admin')
  const browser = ctx.browser()
  await browser.login(admin.username, admin.password)
  const grid = await browser.get('/admin/calendar?year=2026&month=2')
  t.match(grid.body, '春节调休上班')
  const missingName = await browser.post('/admin/calendar/days', { date: '2026-03-03', setting: 'holiday', name: '' })
  t.equal(missingName.statusCode, 400)
  t.match(missingName.body, '须填写名称')
  const badDate = await browser.post('/admin/calendar/days', { date: '2026-02-30', setting: 'holiday', name: 'x' })
  t.equal(badDate.statusCode, 400)
  const set = await browser.post('/admin/calendar/days', { date: '2026-03-03', setting: 'holiday', name: '地方假日' })
  t.equal(set.statusCode, 303)
  const api = (await ctx.app.inject('/api/v1/deadline?start=2026-03-02&days=1')).json()
  t.equal(api.due, '2026-03-04', 'the new holiday is passed over')
  await browser.post('/admin/calendar/days', { date: '2026-03-03', setting: 'default', name: '' })
  t.equal((await ctx.app.inject('/api/v1/deadline?start=2026-03-02&days=1')).json().due, '2026-03-03')
  const changes = await ctx.db.selectFrom('calendarChanges').select(['date', 'oldKind', 'newKind']).orderBy('id').execute()
  t.same(changes, [
    { date: '2026-03-03', oldKind: null, newKind: 'holiday' },
    { date: '2026-03-03', oldKind: 'holiday', newKind: null },
  ])
})

t.test('a year is imported whole, or refused whole with every error and its path', async (t) => {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  const admin = await makeUser(ctx.db, org, 'admin')
  const browser = ctx.browser()
  await browser.login(admin.username, admin.password)
  await browser.get('/admin/calendar/import')
  const bad = {
    source: 'test',
    blocks: [
      { name: '元旦', holidays: ['2027-01-01', '2027-02-30'], workdays: ['2027-01-05'] },
      { name: '春节', holidays: ['2027-01-01'], workdays: [] },
      { name: '', holidays: [], workdays: [] },
    ],
  }
  const refused = await browser.post('/admin/calendar/import', { year: '2027', json: JSON.stringify(bad) })
  t.equal(refused.statusCode, 400)
  t.match(refused.body, '未导入任何内容')
  t.match(refused.body, '/blocks/2/name')
  const refused2 = await browser.post('/admin/calendar/import', {
    year: '2027',
    json: JSON.stringify({ blocks: [{ name: '元旦', holidays: ['2027-01-01', '2027-02-30', '2026-06-01'], workdays: ['2027-01-05'] }, { name: '春节', holidays: ['2027-01-01'], workdays: [] }] }),
  })
  t.match(refused2.body, '<code>/blocks/0/holidays/1</code> 2027-02-30 is not a real date')
  t.match(refused2.body, '/blocks/0/holidays/2</code> 2026-06-01 is outside 2027')
  t.match(refused2.body, '/blocks/0/workdays/0</code> 2027-01-05 is a weekday')
  t.match(refused2.body, '/blocks/1/holidays/0</code> 2027-01-01 appears twice')
  const notJson = await browser.post('/admin/calendar/import', { year: '2027', json: '{"blocks": [' })
  t.match(notJson.body, '不是有效的 JSON')
  t.equal((await ctx.db.selectFrom('calendarDays').select('date').where('date', '>=', '2027-01-01').execute()).length, 0, 'nothing was imported')

  const good = { years: { '2027': { source: '测试通知', blocks: [{ name: '元旦', holidays: ['2027-01-01', '2027-01-02', '2027-01-03'], workdays: [] }, { name: '春节', holidays: ['2027-02-06', '2027-02-07', '2027-02-08'], workdays: ['2027-02-13'] }] } } }
  const ok = await browser.post('/admin/calendar/import', { year: '2027', json: JSON.stringify(good) })
  t.equal(ok.statusCode, 200)
  t.match(ok.body, '已导入 2027 年的 7 个日期')
  t.equal((await ctx.app.inject('/api/v1/deadline?start=2026-12-31&days=1')).json().due, '2027-01-04')
})

t.test('from 1 November admins are reminded of a missing next-year schedule', async (t) => {
  const ctx = await setupApp(t)
  t.equal(await nextYearScheduleMissing(ctx.db, '2026-10-31'), null, 'not before November')
  t.equal(await nextYearScheduleMissing(ctx.db, '2026-11-01'), 2027)
  t.equal(await nextYearScheduleMissing(ctx.db, '2025-11-15'), null, '2026 was entered')
  const org = await makeOrg(ctx.db)
  const admin = await makeUser(ctx.db, org, 'admin')
  const agent = await makeUser(ctx.db, org, 'agent')
  const browser = ctx.browser()
  await browser.login(admin.username, admin.password)
  const page = await browser.get('/')
  const today = new Date()
  if (today.getMonth() >= 10) t.match(page.body, `尚未录入 ${today.getFullYear() + 1} 年节假日安排`)
  else t.notMatch(page.body, '尚未录入')
  const agentBrowser = ctx.browser()
  await agentBrowser.login(agent.username, agent.password)
  t.notMatch((await agentBrowser.get('/')).body, '尚未录入', 'only admins are told')
})
