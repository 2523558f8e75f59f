import t from 'tap'
import { randomUUID } from 'node:crypto'
import { setupCaseWorld, loggedIn } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import { findActor } from '../../server/accounts/users.repository.ts'
import { intakeCase } from '../../server/cases/intake.ts'
import { performAction } from '../../server/cases/transition.ts'
import { monthlyListContent } from '../../server/notices/notices.service.ts'
import { findMatterByCode } from '../../server/matters/matters.repository.ts'

t.test('a sensitive matter keeps its cases off the public monthly list; the administrator sets it on the matter', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 10:00')
  const agent = (await findActor(w.db, w.agent.id))!
  const clerk = (await findActor(w.db, w.clerk.id))!
  const complete = async (code: string, name: string, idNumber: string) => {
    const matterId = await w.matterId(code)
    const mv = (await findMatterByCode(w.db, w.org.countyId, code))!
    const c = await intakeCase(w.db, agent, { idempotencyKey: randomUUID(), applicantId: null, applicant: { name, idNumber, phone: '13912345678', villageGroup: '一组', address: '', vulnerable: 'none' }, matterId, channel: 'station', serviceForm: 'proxy', homeService: false, materialsReceived: mv.materials.map((m) => m.name), decision: 'decide', rejectReason: '', summary: '' }, '2026-03-02', new Date())
    await performAction(w.db, agent, c.caseId, 'forward', 1, { windowId: String(w.org.windows.find((x) => x.townId === w.org.towns[0].id && x.department === 'civil_affairs')!.id), method: 'online' }, '2026-03-02', new Date())
    await performAction(w.db, clerk, c.caseId, 'receive', 2, {}, '2026-03-03', new Date())
    await performAction(w.db, clerk, c.caseId, 'complete', 3, { outcome: 'approved' }, '2026-03-04', new Date())
  }
  await complete('MZ-01', '张救灾', '11010519491231002X')
  await complete('MZ-04', '李大病', '110105194912310038')
  const list = await monthlyListContent(w.db, w.org.villages[0].id, '2026-03')
  t.same(list.rows.map((r) => r.matter), ['救灾救济办理'], 'the serious-illness relief case is not listed')
  t.notMatch(JSON.stringify(list), '李', 'nor its applicant, masked or not')

  const admin = await loggedIn(w, await makeUser(w.db, w.org, 'admin'))
  const form = await admin.get(`/admin/matters/${await w.matterId('MZ-04')}/edit`)
  t.match(form.body, /name="keepOffPublicList" checked/, 'the demo catalogue marks serious-illness relief sensitive (the setting is on the matter form)')
})
