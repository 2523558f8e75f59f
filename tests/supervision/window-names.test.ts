import t from 'tap'
import { setupCaseWorld, loggedIn, submitIntake, act, APPLICANT, townWindowId } from '../fixtures/cases.ts'
import { windowLabel, windowLabelFor } from '../../server/org/window-label.ts'
import { translator } from '../../server/i18n/i18n.ts'
import type { Scope } from '../../server/accounts/actor.ts'

t.test('a window is named with its place unless the viewer is in its town', async (t) => {
  const zh = translator('zh-CN')
  const en = translator('en')
  const town = { name: '民政窗口', townId: 7, townName: '金坪镇' }
  const county = { name: '社保窗口', townId: null, townName: null }
  const scopes: Record<string, Scope> = {
    county: { kind: 'county', countyId: 1 },
    ownTown: { kind: 'town', countyId: 1, townId: 7 },
    otherTown: { kind: 'town', countyId: 1, townId: 8 },
    village: { kind: 'village', countyId: 1, townId: 7, villageId: 3 },
    window: { kind: 'window', countyId: 1, townId: 7, windowId: 2 },
    countyWindow: { kind: 'window', countyId: 1, townId: null, windowId: 5 },
  }
  const rows: [keyof typeof scopes, typeof town | typeof county, string][] = [
    ['county', town, '金坪镇 · 民政窗口'],
    ['county', county, '县政务服务中心 · 社保窗口'],
    ['ownTown', town, '民政窗口'],
    ['ownTown', county, '县政务服务中心 · 社保窗口'],
    ['otherTown', town, '金坪镇 · 民政窗口'],
    ['village', town, '民政窗口'],
    ['window', town, '民政窗口'],
    ['countyWindow', county, '县政务服务中心 · 社保窗口'],
    ['countyWindow', town, '金坪镇 · 民政窗口'],
  ]
  for (const [scope, window, expected] of rows) t.equal(windowLabelFor(scopes[scope], zh, window), expected, `${scope}: ${expected}`)
  t.equal(windowLabel(en, county), 'County service centre · 社保窗口', 'the county centre in English')
})

t.test('county supervisors see windows with their town on /overdue, its CSV and /stats; town supervisors the short name', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00')
  // Every town has a window of the same name, as in a real county.
  await w.db.updateTable('windows').set({ name: '民政窗口' }).where('department', '=', 'civil_affairs').execute()
  const agent = await loggedIn(w, w.agent)
  const clerk = await loggedIn(w, w.clerk)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-01'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '受灾情况说明'] })
  t.equal((await act(agent, caseId!, 'forward', { windowId: townWindowId(w), method: 'online' })).statusCode, 303)
  t.equal((await act(clerk, caseId!, 'receive')).statusCode, 303)
  w.clock.set('2026-06-01 09:00')

  const county = await loggedIn(w, w.countySupervisor)
  const town = await loggedIn(w, w.supervisor)
  const long = '第1镇 · 民政窗口'
  const countyBoard = (await county.get('/overdue')).body
  t.match(countyBoard, `<td>${long}</td><td class="num">`, 'the county: the window row names its town')
  t.match(countyBoard, new RegExp(`<td>${long}</td><td><span class="badge`), 'the county: who holds the late case names the town')
  const csv = (await county.get('/overdue.csv')).body
  t.match(csv, `,${long},`, 'the county CSV names the town')
  t.match(csv.split('\n')[0], /超期工作日,时限状态\r?$/, 'the last column is the due status (its header repeated 时限)')
  const townBoard = (await town.get('/overdue')).body
  t.match(townBoard, '<td>民政窗口</td><td class="num">', 'the town supervisor keeps the short name')
  t.notMatch(townBoard, long)

  t.equal((await act(clerk, caseId!, 'complete', { outcome: 'approved' })).statusCode, 303)
  t.match((await county.get('/stats?month=2026-06')).body, `<td>${long}</td><td class="num">1</td>`, 'the county statistics name the town of each window')
  t.match((await town.get('/stats?month=2026-06')).body, '<td>民政窗口</td><td class="num">1</td>', 'the town statistics keep the short name')
})
