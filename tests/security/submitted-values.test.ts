import t from 'tap'
import { Writable } from 'node:stream'
import { XMLValidator } from 'fast-xml-parser'
import { SaxesParser } from 'saxes'
import { setupCaseWorld, loggedIn, submitIntake, APPLICANT, type CaseWorld } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'
import { buildApp } from '../../server/app.ts'

// What any request may submit, checked once for every route (views/submitted-values.ts): no control
// characters in a text field, no body nested deeper than a form; and the Open311 XML feed stays
// readable whatever is already stored.

t.setTimeout(5 * 60_000)

async function issueKey(w: CaseWorld) {
  const admin = await makeUser(w.db, w.org, 'admin')
  const browser = await loggedIn(w, admin)
  await browser.get('/admin/api-keys')
  const res = await browser.post('/admin/api-keys', { partner: '县12345热线', channel: 'hotline', townId: '' })
  return /data-api-key>([^<]+)</.exec(res.body)![1]
}

/**
 * What a conformant XML 1.0 parser finds wrong (saxes, which exceljs reads workbooks with):
 * fast-xml-parser's validator checks the structure but lets a U+0001 through.
 */
function xmlProblems(xml: string): string[] {
  const problems: string[] = []
  if (XMLValidator.validate(xml) !== true) problems.push('not well-formed')
  const parser = new SaxesParser()
  parser.on('error', (error) => problems.push(error.message))
  parser.write(xml).close()
  return problems
}

const countCases = async (w: CaseWorld) => Number((await w.db.selectFrom('cases').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)

t.test('a control character in a form field is refused beside that field, the form re-shown with what was typed', async (t) => {
  const w = await setupCaseWorld(t)
  const agent = await loggedIn(w, w.agent)
  const before = await countCases(w)
  const { res } = await submitIntake(agent, await w.matterId('MZ-03'), { ...APPLICANT, villageGroup: '三\u0001组', address: '高桥村\u009b12 号', materialsReceived: [] })
  t.equal(res.statusCode, 400, 'refused with the form')
  t.match(res.body, /id="villageGroup-error"[^>]*>含有看不见的控制字符/, 'the village group says why')
  t.match(res.body, /id="address-error"[^>]*>含有看不见的控制字符/, 'a C1 control in the address too')
  t.match(res.body, 'name="name"', 'the intake form is shown again')
  t.match(res.body, APPLICANT.name, 'with the name typed')
  t.equal(await countCases(w), before, 'nothing was written')

  const english = await loggedIn(w, w.agent)
  await english.get('/lang/en')
  const { res: en } = await submitIntake(english, await w.matterId('MZ-03'), { ...APPLICANT, villageGroup: '三\u007f组', materialsReceived: [] })
  t.equal(en.statusCode, 400)
  t.match(en.body, 'invisible control characters', 'in the language of the user')

  const multiLine = await submitIntake(agent, await w.matterId('MZ-03'), { ...APPLICANT, address: '高桥村\r\n三组\t12 号', materialsReceived: [] })
  t.equal(multiLine.res.statusCode, 303, 'tab, line feed and carriage return are text, not controls')
})

t.test('the Open311 POST refuses a control character in its own error shape, naming the field', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { open311RateLimitPerMinute: 100_000 })
  const key = await issueKey(w)
  const before = await countCases(w)
  const fields = {
    api_key: key, service_code: 'MZ-03', address_id: w.org.villages[0].code, last_name: '赵', first_name: '桂兰', phone: '13987654321',
    'attribute[service_form]': 'proxy', 'attribute[village_group]': '二\u0001组',
  }
  const form = await w.app.inject({ method: 'POST', url: '/open311/v2/requests.json', payload: new URLSearchParams(fields).toString(), headers: { 'content-type': 'application/x-www-form-urlencoded' } })
  t.equal(form.statusCode, 400)
  t.match(form.json(), [{ code: 400, description: /attribute\[village_group\].*控制字符/ }], 'form-encoded: the field is named')

  const { 'attribute[service_form]': _f, 'attribute[village_group]': _g, ...plain } = fields
  const json = await w.app.inject({ method: 'POST', url: '/open311/v2/requests.xml', payload: { ...plain, attribute: { service_form: 'proxy', village_group: '二\u0001组' } } })
  t.equal(json.statusCode, 400)
  t.same(xmlProblems(json.body), [], 'the XML error is itself well-formed')
  t.match(json.body, /<description>attribute\/village_group: [^<]*控制字符/, 'JSON body: the field is named')
  t.equal(await countCases(w), before, 'nothing was written')
})

t.test('a control character already stored does not break the XML feed', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { open311RateLimitPerMinute: 100_000 })
  const key = await issueKey(w)
  const agent = await loggedIn(w, w.agent)
  const { caseId } = await submitIntake(agent, await w.matterId('MZ-03'), { ...APPLICANT, materialsReceived: [] })
  const { applicantId, caseNo } = await w.db.selectFrom('cases').select(['applicantId', 'caseNo']).where('id', '=', caseId!).executeTakeFirstOrThrow()
  await w.db.updateTable('applicants').set({ villageGroup: '三\u0001组\u000b\ufffe' }).where('id', '=', applicantId).execute()
  // The partner's own case: only the partner that filed a case is shown its village group (issue 29, M1).
  const { id: apiKeyId } = await w.db.selectFrom('apiKeys').select('id').orderBy('id', 'desc').executeTakeFirstOrThrow()
  await w.db.updateTable('cases').set({ apiKeyId }).where('id', '=', caseId!).execute()

  for (const url of [`/open311/v2/requests.xml?api_key=${key}`, `/open311/v2/requests/${caseNo}.xml?api_key=${key}`]) {
    const res = await w.app.inject({ method: 'GET', url })
    t.equal(res.statusCode, 200, url)
    t.same(xmlProblems(res.body), [], `${url}: a real XML parser reads it`)
    t.match(res.body, /<address>[^<]*三组<\/address>/, `${url}: the address without the control characters`)
  }
  const json = await w.app.inject({ method: 'GET', url: `/open311/v2/requests/${caseNo}.json?api_key=${key}` })
  t.doesNotThrow(() => JSON.parse(json.body), 'JSON escapes them')
})

t.test('a deeply nested body is a 400 with a message, never a 500 with a stack trace', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { open311RateLimitPerMinute: 100_000 })
  const lines: string[] = []
  const stream = new Writable({ write(chunk, _enc, done) { lines.push(String(chunk)); done() } })
  const app = await buildApp({ config: w.config, db: w.db, logger: { level: 'info', stream } as never, now: w.clock.now })
  await app.ready()
  t.teardown(() => app.close())
  const arrays = '['.repeat(20000) + ']'.repeat(20000)
  const objects = '{"a":'.repeat(20000) + '1' + '}'.repeat(20000)
  const json = { 'content-type': 'application/json' }

  for (const payload of [arrays, objects]) {
    const login = await app.inject({ method: 'POST', url: '/login', payload, headers: json })
    t.equal(login.statusCode, 400, '/login: 400')
    t.match(login.body, '嵌套层数过多', '/login: a page that says why')
    const open311 = await app.inject({ method: 'POST', url: '/open311/v2/requests.json', payload, headers: json })
    t.equal(open311.statusCode, 400, 'Open311: 400')
    t.match(open311.json(), [{ code: 400, description: String }], "Open311: in the specification's error shape")
  }
  const shallow = '{"a":'.repeat(30) + '1' + '}'.repeat(30)
  t.equal((await app.inject({ method: 'POST', url: '/login', payload: shallow, headers: json })).statusCode, 403, 'thirty levels pass this check (and meet the CSRF one)')
  t.notMatch(lines.join(''), '"level":50', 'nothing logged as an error')
})
