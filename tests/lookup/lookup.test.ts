import t from 'tap'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT } from '../fixtures/cases.ts'

t.test('case number + last 4 phone digits show the progress and nothing personal', async (t) => {
  const w = await setupCaseWorld(t, '2026-02-13 10:00')
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-03'), { ...APPLICANT, materialsReceived: ['书面申请', '居民身份证', '户口簿', '家庭收入状况证明', '家庭财产申报及授权核对书'] })
  const caseNo = (await w.db.selectFrom('cases').select('caseNo').where('id', '=', caseId!).executeTakeFirstOrThrow()).caseNo
  const villager = w.browser()
  await villager.get(`/lookup?no=${caseNo}`)
  const ok = await villager.post('/lookup', { no: caseNo, tail: '5678' })
  t.equal(ok.statusCode, 200)
  t.match(ok.body, '已受理')
  t.match(ok.body, '2026-02-25', 'the current due date')
  t.match(ok.body, '0816-3267166', 'the station contact')
  for (const personal of ['张小三', '张*三', '13912345678', '11010519491231002X', '高桥村三组']) t.notMatch(ok.body, personal, `no ${personal}`)

  const wrongDigits = await villager.post('/lookup', { no: caseNo, tail: '1234' })
  const noSuchCase = await villager.post('/lookup', { no: 'XX01-20260213-999', tail: '1234' })
  t.equal(wrongDigits.statusCode, 404)
  t.equal(noSuchCase.statusCode, 404)
  const strip = (body: string) => body.replace(/name="_csrf" value="[^"]+"/g, '').replace(/value="[^"]*"/g, '')
  t.equal(strip(wrongDigits.body), strip(noSuchCase.body), 'the same answer for a wrong number and wrong digits')
  t.match(wrongDigits.body, '没有找到这个办件，或手机号后 4 位不对')
  const bad = await villager.post('/lookup', { no: caseNo, tail: '12ab' })
  t.equal(bad.statusCode, 400)
  t.match(bad.body, '请输入 4 位数字')
})

t.test('the lookup is rate-limited per IP', async (t) => {
  const w = await setupCaseWorld(t)
  const villager = w.browser()
  await villager.get('/lookup')
  const statuses: number[] = []
  for (let i = 0; i < 12; i++) statuses.push((await villager.post('/lookup', { no: `XX-${i}`, tail: '0000' })).statusCode)
  t.same(statuses.slice(0, 10), Array(10).fill(404))
  t.equal(statuses[11], 429)
})
