import t from 'tap'
import { setupApp } from '../fixtures/app.ts'
import { makeOrg, makeUser } from '../fixtures/factories.ts'
import { importCatalogue, exportCatalogue } from '../../server/matters/matters.service.ts'
import { findMatterByCode, findMatterVersion } from '../../server/matters/matters.repository.ts'
import { demoCatalogue } from '../../server/demo/matters.ts'

async function withCatalogue(t: { teardown: (fn: () => Promise<void>) => void }) {
  const ctx = await setupApp(t)
  const org = await makeOrg(ctx.db)
  await importCatalogue(ctx.db, null, org.countyId, demoCatalogue(), { demo: true })
  const admin = await makeUser(ctx.db, org, 'admin')
  const browser = ctx.browser()
  await browser.login(admin.username, admin.password)
  return { ...ctx, org, admin, browser, anonymous: () => ctx.browser() }
}

const formOf = (overrides: Record<string, string | string[]> = {}) => ({
  code: 'TEST-01',
  name: '测试事项',
  department: 'civil_affairs',
  caseType: 'promised',
  proxiable: 'on',
  serviceForms: ['proxy', 'help'],
  notProxiableReason: '',
  materialName: ['居民身份证', '户口簿', ''],
  materialForm: ['original_and_copy', 'copy', 'original'],
  materialCopies: ['1', '2', '1'],
  materialRequired: ['yes', 'no', 'yes'],
  materialNote: ['', '复印首页', ''],
  legalBasis: '某条例',
  conditions: '本村居民',
  procedure: '申请\n审核\n办结',
  statutoryLimit: '20',
  promisedLimit: '10',
  limitUnit: 'working',
  forwardLimit: '3',
  replyLimit: '2',
  feeYuan: '0',
  feeBasis: '不收费',
  complaintChannel: '12345',
  postingRounds: '0',
  postingDays: '0',
  active: 'on',
  ...overrides,
})

t.test('an admin creates a matter, edits it into a new version; the old version stays as it was', async (t) => {
  const ctx = await withCatalogue(t)
  const list = await ctx.browser.get('/admin/matters?q=低保')
  t.match(list.body, '农村低保对象申报办理')
  t.notMatch(list.body, '生猪保险办理', 'the search narrows the list')
  await ctx.browser.get('/admin/matters/new')
  const created = await ctx.browser.post('/admin/matters', formOf())
  t.equal(created.statusCode, 303)
  const v1 = await findMatterByCode(ctx.db, ctx.org.countyId, 'TEST-01')
  t.equal(v1?.currentVersion, 1)
  t.same(v1?.materials.map((m) => [m.name, m.copies, m.required]), [['居民身份证', 1, true], ['户口簿', 2, false]])
  t.same(v1?.procedure, ['申请', '审核', '办结'])

  const page = await ctx.browser.get(created.headers.location as string)
  t.match(page.body, '已保存，当前为第 1 版')
  const edited = await ctx.browser.post(`/admin/matters/${v1!.matterId}`, formOf({ promisedLimit: '8', feeYuan: '12.50', feeBasis: '按规定' }))
  t.equal(edited.statusCode, 303)
  const v2 = await findMatterByCode(ctx.db, ctx.org.countyId, 'TEST-01')
  t.equal(v2?.currentVersion, 2)
  t.equal(v2?.promisedLimit, 8)
  t.equal(v2?.feeFen, '1250')
  const old = await findMatterVersion(ctx.db, v1!.versionId)
  t.equal(old?.promisedLimit, 10, 'version 1 is unchanged for the cases accepted under it')
  t.equal(old?.version, 1)

  const unchanged = await ctx.browser.post(`/admin/matters/${v1!.matterId}`, formOf({ promisedLimit: '8', feeYuan: '12.50', feeBasis: '按规定' }))
  t.equal(unchanged.statusCode, 303)
  t.equal((await findMatterByCode(ctx.db, ctx.org.countyId, 'TEST-01'))?.currentVersion, 2, 'saving without a change makes no version')

  const sensitive = await ctx.browser.post(`/admin/matters/${v1!.matterId}`, formOf({ promisedLimit: '8', feeYuan: '12.50', feeBasis: '按规定', keepOffPublicList: 'on' }))
  t.equal(sensitive.statusCode, 303)
  const v3 = await findMatterByCode(ctx.db, ctx.org.countyId, 'TEST-01')
  t.equal(v3?.keepOffPublicList, true, 'marking a matter sensitive is saved, as a new version')
  t.equal(v3?.currentVersion, 3)
  t.match((await ctx.browser.get(`/admin/matters/${v1!.matterId}/edit`)).body, /name="keepOffPublicList" checked/, 'and shown ticked')
  await t.rejects(ctx.db.updateTable('matterVersions').set({ promisedLimit: 1 }).where('id', '=', v1!.versionId).execute(), 'versions cannot be edited in the database')
})

t.test('a promise longer than the law is refused, and the form keeps what was typed', async (t) => {
  const ctx = await withCatalogue(t)
  await ctx.browser.get('/admin/matters/new')
  const res = await ctx.browser.post('/admin/matters', formOf({ promisedLimit: '30', statutoryLimit: '20', feeYuan: '1.234', name: '超时事项' }))
  t.equal(res.statusCode, 400)
  t.match(res.body, '请填写金额', 'a bad amount is marked first')
  t.match(res.body, 'value="1.234"')
  const res2 = await ctx.browser.post('/admin/matters', formOf({ promisedLimit: '30', statutoryLimit: '20', name: '超时事项' }))
  t.match(res2.body, '承诺时限（30）不能超过法定时限（20）')
  t.match(res2.body, 'value="超时事项"')
  t.match(res2.body, 'value="复印首页"', 'material rows are kept')
  const dup = await ctx.browser.post('/admin/matters', formOf({ code: 'MZ-03' }))
  t.match(dup.body, '该编码已被使用')
  t.equal(await findMatterByCode(ctx.db, ctx.org.countyId, 'TEST-01'), undefined, 'nothing was written')
})

t.test('a bad catalogue file is refused whole, listing each error with its path', async (t) => {
  const ctx = await withCatalogue(t)
  const before = await exportCatalogue(ctx.db, ctx.org.countyId, new Date())
  const bad = structuredClone(before) as { matters: Record<string, unknown>[] }
  bad.matters[0].name = '改过的名称'
  bad.matters[3].promisedLimit = 400
  bad.matters[7].department = 'police'
  bad.matters.push({ ...bad.matters[1] })
  await ctx.browser.get('/admin/matters/import')
  const res = await ctx.browser.post('/admin/matters/import', { json: JSON.stringify(bad) })
  t.equal(res.statusCode, 400)
  t.match(res.body, '未导入任何内容')
  t.match(res.body, '<code>/matters/3/promisedLimit</code>')
  t.match(res.body, '<code>/matters/7/department</code>')
  const after = await exportCatalogue(ctx.db, ctx.org.countyId, new Date())
  t.same(after.matters, before.matters, 'the catalogue is unchanged, even the valid first item')

  const notJson = await ctx.browser.post('/admin/matters/import', { json: '{"format":' })
  t.match(notJson.body, '不是有效的 JSON')
})

t.test('export then import changes nothing; an edited file makes new versions', async (t) => {
  const ctx = await withCatalogue(t)
  const exported = await ctx.browser.get('/admin/matters/export.json')
  t.equal(exported.statusCode, 200)
  t.match(exported.headers['content-disposition'], /attachment/)
  const file = exported.json()
  t.equal(file.matters.length, 33)
  const same = await ctx.browser.post('/admin/matters/import', { json: exported.body })
  t.match(same.body, '已导入 33 个事项，其中 0 个新增或更新')
  file.matters[0].promisedLimit = 1
  const changed = await ctx.browser.post('/admin/matters/import', { json: JSON.stringify(file) })
  t.match(changed.body, '其中 1 个新增或更新')
  t.equal((await findMatterByCode(ctx.db, ctx.org.countyId, file.matters[0].code))?.currentVersion, 2)
  const schema = await ctx.app.inject('/schemas/matter-catalogue.json')
  t.equal(schema.json().title, 'Bianmin matter catalogue', 'the schema is published')
})

t.test('deactivated matters leave the public guides', async (t) => {
  const ctx = await withCatalogue(t)
  const matter = (await findMatterByCode(ctx.db, ctx.org.countyId, 'GD-02'))!
  t.equal((await ctx.browser.get('/guides/GD-02')).statusCode, 200)
  const res = await ctx.browser.post(`/admin/matters/${matter.matterId}/deactivate`)
  t.equal(res.statusCode, 303)
  t.equal((await ctx.browser.get('/guides/GD-02')).statusCode, 404)
  t.notMatch((await ctx.browser.get('/guides')).body, '有线电视报停和恢复办理')
  await ctx.browser.post(`/admin/matters/${matter.matterId}/activate`)
  t.equal((await ctx.browser.get('/guides/GD-02')).statusCode, 200)
})

t.test('a villager reads any guide without logging in', async (t) => {
  const ctx = await withCatalogue(t)
  const villager = ctx.anonymous()
  const list = await villager.get('/guides')
  t.equal(list.statusCode, 200)
  for (const dept of ['民政', '计生', '惠农与农村财务', '劳动保障', '农业', '国土', '林业', '广电']) t.match(list.body, `<h2>${dept}</h2>`)
  const guide = await villager.get('/guides/MZ-03')
  t.equal(guide.statusCode, 200)
  for (const section of ['法律依据', '申请条件', '申报材料', '办理程序', '办理时限', '收费依据及标准', '投诉渠道']) t.match(guide.body, section)
  t.match(guide.body, '家庭收入状况证明')
  t.match(guide.body, '承诺时限：材料齐全受理后 25 个工作日')
  t.match(guide.body, /href="\/deadline\?start(=|&#x3D;)\d{4}-\d{2}-\d{2}&amp;days(=|&#x3D;)25"/, 'the limit links to its explanation')
  t.match(guide.body, '须张榜公示 2 轮，每轮 7 天')
  const marriage = await villager.get('/guides/MZ-99')
  t.match(marriage.body, '不可代办')
  t.match(marriage.body, '须男女双方本人亲自')
  const fee = await villager.get('/guides/GD-01')
  t.match(fee.body, '收费 288.00 元')
  t.equal((await villager.get('/guides/NOPE')).statusCode, 404)
  t.equal((await villager.get('/admin/matters')).statusCode, 303, 'the admin pages need login')
})
