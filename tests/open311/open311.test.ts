import tap, { test } from 'tap'
import { XMLParser } from 'fast-xml-parser'
import { setupCaseWorld, loggedIn, type CaseWorld } from '../fixtures/cases.ts'
import { makeUser } from '../fixtures/factories.ts'


// Whole workbooks and a database per test: longer than tap's default 30 s on a loaded machine.
tap.setTimeout(5 * 60_000)
/**
 * The Open311 GeoReport v2 API driven as a partner's client would: discovery, the service list,
 * a service definition, a POST with a valid and an invalid key, and the requests it filed, by
 * number and as lists under each filter, in JSON and XML. Field names are checked against the
 * specification's, and every answer is searched for the applicant's personal data.
 */

// The specification's fields (wiki.open311.org/GeoReport_v2), per resource.
const SPEC = {
  discovery: ['changeset', 'contact', 'key_service', 'endpoints'],
  endpoint: ['specification', 'url', 'changeset', 'type', 'formats'],
  service: ['service_code', 'service_name', 'description', 'metadata', 'type', 'keywords', 'group'],
  definition: ['service_code', 'attributes'],
  attribute: ['variable', 'code', 'datatype', 'required', 'datatype_description', 'order', 'description', 'values'],
  value: ['key', 'name'],
  posted: ['service_request_id', 'token', 'service_notice', 'account_id'],
  request: [
    'service_request_id', 'status', 'status_notes', 'service_name', 'service_code', 'description', 'agency_responsible', 'service_notice',
    'requested_datetime', 'updated_datetime', 'expected_datetime', 'address', 'address_id', 'zipcode', 'lat', 'long', 'media_url',
  ],
  error: ['code', 'description'],
}
const DATATYPES = ['string', 'number', 'datetime', 'text', 'singlevaluelist', 'multivaluelist']
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(Z|[+-]\d{2}:\d{2})$/

const VILLAGER = { last_name: '赵', first_name: '桂兰', phone: '13987654321', idNumber: '51078119580301002X' }

const xml = new XMLParser({ ignoreAttributes: false, parseTagValue: false, isArray: (name) => ['service', 'request', 'error', 'attribute', 'value', 'endpoint', 'format'].includes(name) })

type Json = Record<string, unknown>

async function issueKey(w: CaseWorld, partner: string, townId = '') {
  const admin = await makeUser(w.db, w.org, 'admin')
  const browser = await loggedIn(w, admin)
  await browser.get('/admin/api-keys')
  const res = await browser.post('/admin/api-keys', { partner, channel: 'hotline', townId })
  const key = /data-api-key>([^<]+)</.exec(res.body)?.[1]
  return { res, key: key!, browser }
}

function post(w: CaseWorld, format: 'json' | 'xml', fields: Record<string, string | string[]>, headers: Record<string, string> = {}) {
  const params = new URLSearchParams()
  for (const [k, v] of Object.entries(fields)) for (const one of [v].flat()) params.append(k, one)
  return w.app.inject({ method: 'POST', url: `/open311/v2/requests.${format}`, payload: params.toString(), headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers } })
}

const fieldsOf = (o: unknown) => Object.keys(o as Json)
const extra = (o: unknown, allowed: string[]) => fieldsOf(o).filter((k) => !allowed.includes(k))

test('a partner files a request and follows it through the Open311 API, in JSON and XML, and nothing personal comes back', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { open311RateLimitPerMinute: 100_000 })
  const county = await w.db.selectFrom('counties').select('code').where('id', '=', w.org.countyId).executeTakeFirstOrThrow()
  const village = w.org.villages[0]
  const answers: string[] = []
  const get = async (url: string, headers: Record<string, string> = {}) => {
    const res = await w.app.inject({ method: 'GET', url, headers })
    answers.push(res.body)
    return res
  }

  // Discovery
  const discovery = await get('/open311/v2/discovery.json')
  t.equal(discovery.statusCode, 200)
  t.match(discovery.headers['content-type'], /^application\/json/)
  const d = discovery.json() as Json
  t.same(extra(d, SPEC.discovery), [], 'discovery: only the specification\'s fields')
  const endpoint = (d.endpoints as Json[])[0]
  t.same(extra(endpoint, SPEC.endpoint), [])
  t.equal(endpoint.specification, 'http://wiki.open311.org/GeoReport_v2')
  t.same(endpoint.formats, ['text/xml', 'application/json'])
  const discoveryXml = await get('/open311/discovery.xml')
  t.match(discoveryXml.headers['content-type'], /^text\/xml/)
  t.match(discoveryXml.body, /^<\?xml version="1.0" encoding="UTF-8"\?>/, 'XML starts with its declaration, UTF-8')
  const dx = xml.parse(discoveryXml.body).discovery
  t.same(dx.endpoints.endpoint[0].formats.format, ['text/xml', 'application/json'], 'XML: formats listed one element each')

  // Services: every active matter of the county, not the inactive or another county's.
  const services = (await get(`/open311/v2/services.json?jurisdiction_id=${county.code}`)).json() as Json[]
  const offered = await w.db
    .selectFrom('matters')
    .innerJoin('matterVersions', (j) => j.onRef('matterVersions.matterId', '=', 'matters.id').onRef('matterVersions.version', '=', 'matters.currentVersion'))
    .select('matters.code')
    .where('matters.countyId', '=', w.org.countyId)
    .where('matters.active', '=', true)
    .where('matterVersions.proxiable', '=', true)
    .orderBy('matters.code')
    .execute()
  t.same(services.map((s) => s.service_code).sort(), offered.map((m) => m.code), 'one service per active matter a station can handle by proxy')
  t.notOk(services.some((s) => s.service_code === 'MZ-99'), 'marriage registration (not by proxy) is not offered')
  t.equal((await get('/open311/v2/services/MZ-99.json')).statusCode, 404)
  for (const s of services) t.same(extra(s, SPEC.service), [], `service ${s.service_code}: only the specification's fields`)
  const dibao = services.find((s) => s.service_code === 'MZ-03')!
  t.equal(dibao.service_name, '农村低保对象申报办理')
  t.equal(dibao.metadata, true)
  t.equal(dibao.type, 'realtime')
  t.equal(dibao.group, '民政')
  t.match(dibao.keywords, /民政/)
  const servicesXml = xml.parse((await get('/open311/v2/services.xml')).body).services.service as Json[]
  t.equal(servicesXml.length, services.length, 'XML lists the same services')
  t.same(Object.keys(servicesXml[0]).sort(), [...SPEC.service].sort(), 'XML service elements are the specification\'s')

  // A service definition: the checklist (informational) and the attributes a client fills in.
  const definition = (await get('/open311/v2/services/MZ-03.json')).json() as Json
  t.same(extra(definition, SPEC.definition), [])
  t.equal(definition.service_code, 'MZ-03')
  const attributes = definition.attributes as Json[]
  for (const a of attributes) {
    t.same(extra(a, SPEC.attribute), [], `attribute ${a.code}: only the specification's fields`)
    t.ok(DATATYPES.includes(a.datatype as string), `attribute ${a.code}: a specification datatype (${a.datatype})`)
    for (const v of (a.values as Json[] | undefined) ?? []) t.same(extra(v, SPEC.value), [])
  }
  const byCode = Object.fromEntries(attributes.map((a) => [a.code, a]))
  t.equal(byCode.checklist.variable, false, 'the checklist is informational')
  t.match(byCode.checklist.description, /户口簿/, 'the checklist names the materials')
  t.equal(byCode.service_form.datatype, 'singlevaluelist')
  t.equal(byCode.service_form.required, true)
  const mz03 = await w.db.selectFrom('matters').innerJoin('matterVersions', 'matterVersions.matterId', 'matters.id').select('matterVersions.serviceForms').where('matters.code', '=', 'MZ-03').where('matters.countyId', '=', w.org.countyId).executeTakeFirstOrThrow()
  t.same((byCode.service_form.values as Json[]).map((v) => v.key), mz03.serviceForms, "service_form's values are the matter's service forms")
  t.equal(byCode.materials.datatype, 'multivaluelist')
  const materialNames = (byCode.materials.values as Json[]).map((v) => v.key as string)
  t.ok(materialNames.length > 1, 'the checklist items are the materials values')
  const definitionXml = xml.parse((await get('/open311/v2/services/MZ-03.xml')).body).service_definition
  t.equal(definitionXml.service_code, 'MZ-03')
  t.equal(definitionXml.attributes.attribute.length, attributes.length, 'XML: the same attributes')
  t.same(definitionXml.attributes.attribute.find((a: Json) => a.code === 'service_form').values.value.map((v: Json) => v.key), (byCode.service_form.values as Json[]).map((v) => v.key))
  t.equal((await get('/open311/v2/services/NOPE-1.json')).statusCode, 404, 'an unknown service code is a 404')

  // POST with an invalid key, then without one: 403 in the specification's error shape, nothing written.
  const casesBefore = Number((await w.db.selectFrom('cases').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n)
  // MZ-04 (medical assistance) is a matter kept off public lists.
  const medical = (await get('/open311/v2/services/MZ-04.json')).json() as { attributes: Json[] }
  const medicalMaterials = (medical.attributes.find((a) => a.code === 'materials')!.values as Json[]).map((v) => v.key as string)
  const request = { service_code: 'MZ-04', address_id: village.code, ...VILLAGER, description: '家中老人想申请医疗救助，请代办员联系。', 'attribute[service_form]': 'proxy', 'attribute[materials][]': medicalMaterials.slice(0, 2), 'attribute[village_group]': '三组' }
  const invalid = await post(w, 'json', { ...request, api_key: 'bm_not-a-real-key' })
  t.equal(invalid.statusCode, 403)
  const invalidBody = invalid.json() as Json[]
  t.same(extra(invalidBody[0], SPEC.error), [])
  t.equal(invalidBody[0].code, 403)
  t.match(invalidBody[0].description, /api_key/)
  const missing = await post(w, 'xml', request)
  t.equal(missing.statusCode, 403)
  t.equal(xml.parse(missing.body).errors.error[0].code, '403', 'XML errors: <errors><error><code>')
  t.equal(Number((await w.db.selectFrom('cases').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n), casesBefore, 'no case was filed')

  // The administrator issues a key: shown once, stored as a hash.
  const { res: issued, key, browser: adminBrowser } = await issueKey(w, '县12345热线')
  t.equal(issued.statusCode, 201)
  t.match(key, /^bm_[A-Za-z0-9_-]{43}$/)
  const stored = await w.db.selectFrom('apiKeys').selectAll().executeTakeFirstOrThrow()
  t.not(stored.keyHash, key, 'the key itself is not stored')
  t.notOk(JSON.stringify(stored).includes(key), 'nothing stored holds the key')
  const list = await adminBrowser.get('/admin/api-keys')
  t.notOk(list.body.includes(key), 'the list never shows the key again')
  t.match(list.body, new RegExp(`…${key.slice(-4)}`), 'the list tells keys apart by their last four characters')
  t.match(list.body, /尚未使用/)

  // A bad request with a valid key: every wrong field at once, nothing written, audited.
  const bad = await post(w, 'json', { api_key: key, service_code: 'NOPE-1', address_id: 'NOWHERE', phone: '12', 'attribute[service_form]': 'proxy' })
  t.equal(bad.statusCode, 400)
  const problems = (bad.json() as Json[]).map((e) => e.description as string)
  t.equal(problems.length, 4, `four problems reported together: ${problems.join(' | ')}`)
  t.ok(problems.some((p) => p.startsWith('service_code:')))
  t.ok(problems.some((p) => p.startsWith('address_id:')))
  t.ok(problems.some((p) => p.startsWith('last_name:')))
  t.ok(problems.some((p) => p.startsWith('phone:')))
  const badEn = await post(w, 'json', { api_key: key, service_code: 'NOPE-1', address_id: village.code, ...VILLAGER, 'attribute[service_form]': 'proxy' }, { 'accept-language': 'en-US,en;q=0.9' })
  t.match((badEn.json() as Json[])[0].description, /^service_code: No such service_code/, 'in English when the client asks for it')
  t.equal(Number((await w.db.selectFrom('cases').select((eb) => eb.fn.countAll<string>().as('n')).executeTakeFirstOrThrow()).n), casesBefore, 'still no case')

  // The valid POST: a registered case at the station, channel recorded, applicant kept internal.
  const created = await post(w, 'json', { ...request, api_key: key, jurisdiction_id: county.code }, { 'idempotency-key': 'hotline-2026-0001' })
  answers.push(created.body)
  t.equal(created.statusCode, 201)
  const posted = created.json() as Json[]
  t.same(extra(posted[0], SPEC.posted), [])
  const caseNo = posted[0].service_request_id as string
  t.match(caseNo, new RegExp(`^${village.code}-20260302-\\d{3}$`))
  t.match(posted[0].service_notice, /2026-03-09/, 'the notice says by when the agent will call (5 working days)')
  const filed = await w.db.selectFrom('cases').innerJoin('applicants', 'applicants.id', 'cases.applicantId').selectAll('cases').select(['applicants.name', 'applicants.phone', 'applicants.idNumberSealed', 'applicants.villageGroup']).where('caseNo', '=', caseNo).executeTakeFirstOrThrow()
  t.equal(filed.stage, 'registered')
  t.equal(filed.channel, 'hotline')
  t.equal(filed.villageId, village.id)
  t.equal(filed.agentId, w.agent.id, 'the station\'s agent takes it')
  t.equal(filed.name, '赵桂兰', 'the applicant: family name then given name')
  t.equal(filed.phone, VILLAGER.phone)
  t.equal(filed.idNumberSealed, null, 'no ID number comes over the API: the agent completes the file at the counter')
  t.equal(filed.apiKeyId, stored.id)
  const event = await w.db.selectFrom('caseEvents').selectAll().where('caseId', '=', filed.id).executeTakeFirstOrThrow()
  t.equal(event.actorRole, 'partner')
  t.equal(event.action, 'intake')
  t.same((event.data as Json).declaredMaterials, medicalMaterials.slice(0, 2), 'the materials the villager says they have are kept for the agent')
  const audits = await w.db.selectFrom('auditEvents').select(['action', 'subjectType']).where('action', 'like', 'open311.%').orderBy('id').execute()
  t.same(audits.map((a) => a.action), ['open311.refused', 'open311.refused', 'open311.request'], 'every POST with a key is audited, refused ones too')
  const inbox = await (await loggedIn(w, w.agent)).get('/inbox')
  t.match(inbox.body, /县12345热线替村民提交了/, 'the station\'s agent is told')
  const retried = await post(w, 'json', { ...request, api_key: key }, { 'idempotency-key': 'hotline-2026-0001' })
  t.equal(retried.statusCode, 200)
  t.equal((retried.json() as Json[])[0].service_request_id, caseNo, 'a retried POST answers the first case, files no second')
  t.match((await adminBrowser.get('/admin/api-keys')).body, /2026-03-02 09:30/, 'the key\'s last use is shown')

  // GET of that request, JSON and XML: its matter is kept off public lists, so only with the partner's key.
  t.equal((await get(`/open311/v2/requests/${caseNo}.json`)).statusCode, 404, 'anonymous: not found')
  const one = (await get(`/open311/v2/requests/${caseNo}.json?api_key=${key}`)).json() as Json[]
  t.equal(one.length, 1)
  const r = one[0]
  t.same(fieldsOf(r).sort(), [...SPEC.request].sort(), 'a request carries the specification\'s fields')
  t.equal(r.service_request_id, caseNo)
  t.equal(r.status, 'open')
  t.equal(r.service_code, 'MZ-04')
  t.equal(r.service_name, '重特大病医疗救助申报办理')
  t.match(r.status_notes, /已登记/)
  t.equal(r.agency_responsible, `第1镇${village.name}便民服务站`, 'before forwarding, the station handles it')
  t.equal(r.address, `${village.name} 三组`, 'the address is the village and group only')
  t.equal(r.address_id, village.code)
  t.match(r.requested_datetime, ISO)
  t.equal(r.requested_datetime, '2026-03-02T09:30:00+08:00')
  t.equal(r.expected_datetime, '2026-03-09T23:59:59+08:00', 'expected: the due date of the running deadline')
  t.notOk(JSON.stringify(r).includes('请代办员联系'), "the partner's free text is not published")
  const oneXml = xml.parse((await get(`/open311/v2/requests/${caseNo}.xml?api_key=${key}`)).body).service_requests.request[0]
  t.same(Object.keys(oneXml).sort(), [...SPEC.request].sort(), 'XML: the same fields')
  t.equal(oneXml.service_request_id, caseNo)
  t.equal(oneXml.lat, '', 'XML: an empty element for a field without a value')

  // MZ-04 is kept off public lists: anonymous GETs do not see it; the partner that filed it does.
  const publicList = (await get('/open311/v2/requests.json')).json() as Json[]
  t.notOk(publicList.some((x) => x.service_request_id === caseNo), 'a sensitive matter is not on the public list')
  t.equal((await get(`/open311/v2/requests.json?api_key=${key}`)).json().some((x: Json) => x.service_request_id === caseNo), true, 'the partner that filed it sees it')

  // Lists and each filter, on requests of a public matter filed over two days.
  const filedNos: string[] = []
  for (const [day, code] of [['2026-03-02 10:00', 'MZ-01'], ['2026-03-03 10:00', 'LB-07'], ['2026-03-03 11:00', 'MZ-01']] as const) {
    w.clock.set(day)
    const res = await post(w, 'xml', { ...request, service_code: code, 'attribute[materials][]': [], api_key: key })
    t.equal(res.statusCode, 201, `POST ${code} in XML`)
    filedNos.push(xml.parse(res.body).service_requests.request[0].service_request_id)
  }
  // One of them is closed: withdrawn at the station.
  await w.db.updateTable('cases').set({ stage: 'withdrawn' }).where('caseNo', '=', filedNos[0]).execute()
  w.clock.set('2026-03-04 09:00')
  const all = (await get('/open311/v2/requests.json')).json() as Json[]
  t.same(all.map((x) => x.service_request_id), [filedNos[2], filedNos[1], filedNos[0]], 'newest first; the sensitive one left out')
  const byService = (await get('/open311/v2/requests.json?service_code=MZ-01')).json() as Json[]
  t.same(byService.map((x) => x.service_request_id).sort(), [filedNos[0], filedNos[2]].sort(), 'service_code filter')
  const openOnly = (await get('/open311/v2/requests.json?status=open')).json() as Json[]
  t.same(openOnly.map((x) => x.service_request_id).sort(), [filedNos[1], filedNos[2]].sort(), 'status=open')
  const closedOnly = (await get('/open311/v2/requests.json?status=closed')).json() as Json[]
  t.same(closedOnly.map((x) => x.service_request_id), [filedNos[0]], 'status=closed')
  t.equal(closedOnly[0].status, 'closed')
  t.equal(closedOnly[0].expected_datetime, null, 'a closed request expects nothing')
  const both = (await get('/open311/v2/requests.json?status=open,closed')).json() as Json[]
  t.equal(both.length, 3, 'status=open,closed')
  const since = (await get(`/open311/v2/requests.json?start_date=${encodeURIComponent('2026-03-03T00:00:00+08:00')}`)).json() as Json[]
  t.same(since.map((x) => x.service_request_id).sort(), [filedNos[1], filedNos[2]].sort(), 'start_date')
  const until = (await get(`/open311/v2/requests.json?end_date=${encodeURIComponent('2026-03-02T23:59:59+08:00')}`)).json() as Json[]
  t.same(until.map((x) => x.service_request_id), [filedNos[0]], 'end_date')
  const window = (await get(`/open311/v2/requests.json?start_date=2026-03-03T10:30:00Z&end_date=2026-03-04T00:00:00Z`)).json() as Json[]
  t.same(window, [], 'start and end in UTC: nothing between 18:30 and 08:00 local')
  const byIds = (await get(`/open311/v2/requests.json?service_request_id=${filedNos[0]},${filedNos[1]}&status=open`)).json() as Json[]
  t.same(byIds.map((x) => x.service_request_id).sort(), [filedNos[0], filedNos[1]].sort(), 'service_request_id list: the other filters do not apply')
  const publicOne = (await get(`/open311/v2/requests/${filedNos[1].toLowerCase()}.json`)).json() as Json[]
  t.same(publicOne.map((x) => x.service_request_id), [filedNos[1]], 'a public matter\'s request by number, anonymously (case-insensitive)')
  t.equal(publicOne[0].agency_responsible, `第1镇${village.name}便民服务站`)
  t.equal(publicOne[0].address, village.name, 'anonymously: the village without the group the partner gave')
  t.equal(publicOne[0].status_notes, '', 'anonymously: open or closed, not the stage in words')
  const listXml = xml.parse((await get('/open311/v2/requests.xml?service_code=LB-07')).body).service_requests.request as Json[]
  t.same(listXml.map((x) => x.service_request_id), [filedNos[1]], 'XML list with a filter')
  for (const x of [...all, ...listXml]) t.same(extra(x, SPEC.request), [], `${x.service_request_id}: only the specification's fields`)

  // Bad list parameters: the specification's 400s, every problem at once.
  const tooLong = await get('/open311/v2/requests.json?start_date=2026-01-01T00:00:00%2B08:00&end_date=2026-04-30T00:00:00%2B08:00')
  t.equal(tooLong.statusCode, 400)
  t.match((tooLong.json() as Json[])[0].description, /90/)
  const badParams = (await get('/open311/v2/requests.json?status=pending&start_date=yesterday')).json() as Json[]
  t.equal(badParams.length, 2, 'status and start_date are both reported')
  t.equal((await get('/open311/v2/requests/XX-20260302-001.json')).statusCode, 404)
  t.equal((await get('/open311/v2/services.json?jurisdiction_id=NOPE')).statusCode, 404, 'an unknown jurisdiction is a 404')
  const html = await get('/open311/v2/services.html')
  t.equal(html.statusCode, 404)
  t.match(html.headers['content-type'], /^text\/xml/, 'an unknown format is answered in XML, the required one')
  const unknownPath = await get('/open311/v2/nothing.json')
  t.equal(unknownPath.statusCode, 404)
  t.match(unknownPath.body, /<errors>/, 'an unknown API path answers an Open311 error, not a page')

  // A revoked key files nothing more.
  await adminBrowser.post(`/admin/api-keys/${stored.id}/revoke`)
  const afterRevoke = await post(w, 'json', { ...request, api_key: key })
  t.equal(afterRevoke.statusCode, 403)
  t.ok((await w.db.selectFrom('apiKeys').select('revokedAt').executeTakeFirstOrThrow()).revokedAt, 'revoked, the row kept')
  t.same((await w.db.selectFrom('auditEvents').select('action').where('action', 'like', 'api_key.%').orderBy('id').execute()).map((a) => a.action), ['api_key.issue', 'api_key.revoke'])

  // Nothing personal in any answer: names, phone (or its digits), ID number, the partner's text.
  const personal = ['赵桂兰', '桂兰', VILLAGER.phone, VILLAGER.phone.slice(-4), VILLAGER.idNumber, '请代办员联系']
  const leaks = answers.flatMap((body, i) => personal.filter((p) => body.includes(p)).map((p) => `answer ${i}: ${p}`))
  t.same(leaks, [], `no personal data in ${answers.length} answers`)
})

test('a town key files only at its own stations; jurisdiction_id is required once a server holds two counties', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { open311RateLimitPerMinute: 100_000 })
  const { key } = await issueKey(w, '镇小程序', String(w.org.towns[0].id))
  const otherTown = w.org.villages[2]
  const res = await post(w, 'json', { api_key: key, service_code: 'MZ-01', address_id: otherTown.code, ...VILLAGER, 'attribute[service_form]': 'proxy' })
  t.equal(res.statusCode, 400)
  t.match((res.json() as Json[])[0].description, /^address_id:/, "another town's station is not in the key's area")
  const unstaffed = await post(w, 'json', { api_key: key, service_code: 'MZ-01', address_string: w.org.villages[1].name, ...VILLAGER, 'attribute[service_form]': 'proxy' })
  t.match((unstaffed.json() as Json[])[0].description, /没有代办员/, 'a station without an agent cannot take requests')
  await makeUser(w.db, w.org, 'agent', { villageId: w.org.villages[1].id })
  const byName = await post(w, 'json', { api_key: key, service_code: 'MZ-01', address_string: w.org.villages[1].name, ...VILLAGER, 'attribute[service_form]': 'proxy' })
  t.equal(byName.statusCode, 201, 'a station named by its village name')

  await w.db.insertInto('counties').values({ code: 'OTHER9', name: '另一县' }).execute()
  const noJurisdiction = await w.app.inject({ method: 'GET', url: '/open311/v2/services.json' })
  t.equal(noJurisdiction.statusCode, 400)
  t.match((noJurisdiction.json() as Json[])[0].description, /jurisdiction_id/)
  const wrongCounty = await post(w, 'json', { api_key: key, jurisdiction_id: 'OTHER9', service_code: 'MZ-01', address_id: w.org.villages[0].code, ...VILLAGER, 'attribute[service_form]': 'proxy' })
  t.equal(wrongCounty.statusCode, 403, "a key cannot file in another county")
  const ours = (byName.json() as Json[])[0].service_request_id as string
  const county = await w.db.selectFrom('counties').select('code').where('id', '=', w.org.countyId).executeTakeFirstOrThrow()
  t.equal((await w.app.inject({ method: 'GET', url: `/open311/v2/requests/${ours}.json?jurisdiction_id=${county.code}` })).statusCode, 200, 'found in its own county')
  t.equal((await w.app.inject({ method: 'GET', url: `/open311/v2/requests/${ours}.json?jurisdiction_id=OTHER9` })).statusCode, 404, "another county's request by number: not found")
  t.same((await w.app.inject({ method: 'GET', url: '/open311/v2/requests.json?jurisdiction_id=OTHER9' })).json(), [], "another county's list holds none of this county's requests")
})

test('the public GETs are rate-limited per address like the look-up, answered as Open311 errors', async (t) => {
  const w = await setupCaseWorld(t, '2026-03-02 09:30', { open311RateLimitPerMinute: 3 })
  const codes: number[] = []
  for (let i = 0; i < 4; i++) codes.push((await w.app.inject({ method: 'GET', url: '/open311/v2/services.json' })).statusCode)
  t.same(codes, [200, 200, 200, 429])
  const limited = await w.app.inject({ method: 'GET', url: '/open311/v2/requests.xml' })
  t.equal(limited.statusCode, 429)
  t.equal(xml.parse(limited.body).errors.error[0].code, '429')
})
