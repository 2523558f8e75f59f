import t, { type Test } from 'tap'
import { setupCaseWorld, loggedIn, submitIntake, act, APPLICANT, townWindowId, type CaseWorld } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import { findActor } from '../../server/accounts/users.repository.ts'
import { recordAccess } from '../../server/privacy/access-log.ts'
import { appendEvent } from '../../server/cases/case-events.ts'

// Issue 21 (PIPL): the supervisors' page of unusual access finds whoever revealed many people's data
// in one day, and reveals by people with no case of that person; each supervisor sees their own town.

t.setTimeout(300_000)

const at = (local: string) => new Date(`${local.replace(' ', 'T')}:00+08:00`)
const actorOf = async (w: CaseWorld, id: number) => (await findActor(w.db, id))!
const section = (body: string, from: string, to?: string) => body.slice(body.indexOf(from), to ? body.indexOf(to) : undefined)

async function world(t: Test) {
  const w = await setupCaseWorld(t, '2026-03-02 09:00', { unusualRevealsPerDay: 25 })
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  t.equal((await act(agent, caseId!, 'forward', { windowId: townWindowId(w), method: 'online' })).statusCode, 303)
  const { applicantId, villageId } = await w.db.selectFrom('cases').select(['applicantId', 'villageId']).where('id', '=', caseId!).executeTakeFirstOrThrow()
  // The town's supervisor once took a step on the case: that is a link too.
  await w.db.transaction().execute((trx) => appendEvent(trx, { id: w.supervisor.id, role: 'supervisor', countyId: w.org.countyId }, { id: caseId!, villageId }, 'note', 'forwarded', 'forwarded', '督办', {}, at('2026-02-26 10:00')))

  // Villagers of the first town (first village) and one of the second town.
  const townOne = await w.db
    .insertInto('applicants')
    .values(Array.from({ length: 25 }, (_, i) => ({ countyId: w.org.countyId, villageId: w.org.villages[0].id, name: `村民${i + 1}号`, phone: `1390000${String(i).padStart(4, '0')}` })))
    .returning('id')
    .execute()
  const townTwo = await w.db.insertInto('applicants').values({ countyId: w.org.countyId, villageId: w.org.villages[2].id, name: '冯乙村', phone: '13700000009' }).returning('id').executeTakeFirstOrThrow()

  const heavy = await makeUser(w.db, w.org, 'clerk', { windowId: Number(townWindowId(w, 'agriculture')), displayName: '周大量' })
  const modest = await makeUser(w.db, w.org, 'clerk', { windowId: Number(townWindowId(w, 'agriculture')), displayName: '吴少量' })
  const admin = await makeUser(w.db, w.org, 'admin', { displayName: '钱管理' })
  const otherTownSupervisor = await makeUser(w.db, w.org, 'supervisor', { townId: w.org.towns[1].id, displayName: '陈乙镇' })

  // 25 different people in one local day (the first at 07:30, the day before in UTC), one of them twice.
  const heavyActor = await actorOf(w, heavy.id)
  for (const [i, a] of townOne.entries()) {
    await recordAccess(w.db, heavyActor, { kind: 'reveal', applicantId: a.id, field: 'id_number', page: `/applicants/${a.id}` }, at(`2026-02-27 ${String(7 + Math.floor(i / 2)).padStart(2, '0')}:30`))
  }
  await recordAccess(w.db, heavyActor, { kind: 'reveal', applicantId: townOne[0].id, field: 'phone', page: `/applicants/${townOne[0].id}` }, at('2026-02-27 20:00'))
  // 24 people on the next day: under the threshold.
  for (const a of townOne.slice(1)) await recordAccess(w.db, heavyActor, { kind: 'reveal', applicantId: a.id, field: 'phone', page: '/cases' }, at('2026-02-28 11:00'))
  // Three people in a day: nothing unusual about the count.
  const modestActor = await actorOf(w, modest.id)
  for (const a of townOne.slice(0, 3)) await recordAccess(w.db, modestActor, { kind: 'reveal', applicantId: a.id, field: 'id_number', page: `/applicants/${a.id}` }, at('2026-02-27 15:00'))

  // The case's applicant, seen by people who work on the case (its agent, its window's clerk, the
  // supervisor who took a step) and by two who do not.
  for (const [who, time] of [[w.agent.id, '09:00'], [w.clerk.id, '09:10'], [w.supervisor.id, '09:20'], [admin.id, '09:30'], [w.otherClerk.id, '09:40']] as const) {
    await recordAccess(w.db, await actorOf(w, who), { kind: 'reveal', applicantId, field: 'id_number', page: `/cases/${caseId}` }, at(`2026-03-01 ${time}`))
  }
  // The second town's villager, seen by the administrator.
  await recordAccess(w.db, await actorOf(w, admin.id), { kind: 'reveal', applicantId: townTwo.id, field: 'phone', page: `/applicants/${townTwo.id}` }, at('2026-03-01 10:00'))
  return { w, heavy, modest, admin, otherTownSupervisor, applicantId }
}

t.test('many people revealed in one local day are found; a few are not', async (t) => {
  const { w, heavy, modest } = await world(t)
  const page = await (await loggedIn(w, w.supervisor)).get('/privacy/access')
  t.equal(page.statusCode, 200)
  t.match(page.body, 'value="2026-02-01"', 'the last 30 days by default, today included')
  t.match(page.body, 'value="2026-03-02"')
  const frequent = section(page.body, 'frequent-title', 'outside-title')
  t.match(frequent, /一天内查看 25 人以上 \(1\)/, 'the threshold comes from the configuration')
  t.match(frequent, /2026-02-27<\/td><td>周大量（窗口工作人员）<\/td><td class="num">25 人<\/td>/, 'the user, the day and how many people')
  t.match(frequent, `href="/privacy/access/users/${heavy.id}?from=2026-02-27&amp;to=2026-02-27"`, "a link to that day's accesses")
  t.notMatch(frequent, /2026-02-28/, 'the next day (24 people) is under the threshold')
  t.notMatch(frequent, /吴少量/, 'three people in a day is not unusual')

  // That day's accesses of the user: all 26, the one outside any case of theirs marked.
  const day = await (await loggedIn(w, w.supervisor)).get(`/privacy/access/users/${heavy.id}?from=2026-02-27&to=2026-02-27`)
  t.equal(day.statusCode, 200)
  t.match(day.body, /周大量的查阅记录/)
  t.match(day.body, /查阅记录 \(26\)/)
  t.match(day.body, /村民25号/)
  t.match(day.body, /与本人办件无关/)
  t.notMatch(day.body, /2026-02-28/, 'only that day')
  t.equal((await (await loggedIn(w, w.supervisor)).get(`/privacy/access/users/${modest.id}?from=2026-02-27&to=2026-02-27`)).statusCode, 200)

  // A period that leaves the day out, and one that makes no sense.
  const later = await (await loggedIn(w, w.supervisor)).get('/privacy/access?from=2026-03-01&to=2026-03-02')
  t.notMatch(section(later.body, 'frequent-title', 'outside-title'), /周大量/)
  const bad = await (await loggedIn(w, w.supervisor)).get('/privacy/access?from=2026-03-02&to=2026-02-01')
  t.equal(bad.statusCode, 400)
  t.match(bad.body, /结束日期不能早于开始日期/)
  t.notMatch(bad.body, /周大量/)
})

t.test("reveals outside the user's own cases are listed; reveals inside are not", async (t) => {
  const { w, admin } = await world(t)
  const page = await (await loggedIn(w, w.supervisor)).get('/privacy/access?from=2026-03-01&to=2026-03-02')
  t.equal(page.statusCode, 200)
  const outside = section(page.body, 'outside-title')
  t.match(outside, /查看与本人办件无关的人 \(2\)/)
  t.match(outside, /2026-03-01 09:30<\/td><td><a [^>]*>钱管理（系统管理员）<\/a><\/td><td><a href="\/applicants\/\d+">张小三<\/a>/, 'the administrator has no case of this person')
  t.match(outside, /2026-03-01 09:40<\/td><td><a [^>]*>[^<]+（窗口工作人员）<\/a>/, 'nor has the clerk of another window')
  t.match(outside, /查看了完整的身份证号<\/td><td>办件详情<\/td>/)
  for (const time of ['09:00', '09:10', '09:20']) t.notMatch(outside, `2026-03-01 ${time}`, `the reveal at ${time} is by someone working on the case`)
  t.notMatch(outside, /冯乙村/, "another town's villager is not this supervisor's")

  // The administrator's page (the county) has that one too.
  const county = section((await (await loggedIn(w, admin)).get('/privacy/access?from=2026-03-01&to=2026-03-02')).body, 'outside-title')
  t.match(county, /查看与本人办件无关的人 \(3\)/)
  t.match(county, /冯乙村/)
})

t.test("the page is scoped: another town's supervisor sees none of this town's accesses", async (t) => {
  const { w, heavy, otherTownSupervisor } = await world(t)
  const browser = await loggedIn(w, otherTownSupervisor)
  const page = await browser.get('/privacy/access')
  t.equal(page.statusCode, 200)
  t.notMatch(page.body, /周大量|张小三|村民\d+号/, "nothing of the first town's villagers")
  t.match(section(page.body, 'frequent-title', 'outside-title'), /一天内查看 25 人以上 \(0\)/)
  t.match(section(page.body, 'outside-title'), /冯乙村/, 'its own villager seen by the administrator')
  const day = await browser.get(`/privacy/access/users/${heavy.id}?from=2026-02-27&to=2026-02-27`)
  t.equal(day.statusCode, 200)
  t.match(day.body, /查阅记录 \(0\)/, "the user's accesses of another town's villagers are not listed")
  t.notMatch(day.body, /村民\d+号/)
  // Agents and clerks have no such page.
  t.equal((await (await loggedIn(w, w.agent)).get('/privacy/access')).statusCode, 403)
  t.equal((await (await loggedIn(w, w.clerk)).get(`/privacy/access/users/${heavy.id}`)).statusCode, 403)
})

t.test('odd addresses and queries answer 400 or 404, never a server error', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:00')
  const browser = await loggedIn(w, w.countySupervisor)
  const cases: [string, number][] = [
    ['/privacy/access?from=2026-02-30', 400],
    ['/privacy/access?from=0000-01-01', 400],
    ['/privacy/access?to=x%27%3B--', 400],
    ['/privacy/access?from=2026-01-01&from=2026-02-01', 400],
    ['/privacy/access?from=&to=', 200],
    ['/privacy/access/users/abc', 404],
    ['/privacy/access/users/99999999999', 404],
    ['/privacy/access/users/2147483647', 404],
    [`/privacy/access/users/${w.agent.id}?from=2026-13-01`, 400],
    ['/applicants/abc/access-report', 404],
    ['/applicants/2147483647/access-report', 404],
    ['/applicants/2147483647/access-report/pdf', 404],
  ]
  for (const [url, status] of cases) {
    const res = await browser.get(url)
    t.equal(res.statusCode, status, url)
    t.notMatch(res.body, /at .*\.ts:\d+/, `${url}: no stack trace`)
  }
})
