import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { Db } from '../db/connect.ts'
import { RuleViolation } from '../errors/errors.ts'
import { isLocale, translator, type Translate } from '../i18n/i18n.ts'
import { listMatters, findMatterByCode } from '../matters/matters.repository.ts'
import { findPartnerKey, type PartnerKey } from '../partners/api-keys.ts'
import { auditRefusedRequest, registerPartnerRequest, type PartnerRequestInput } from '../cases/partner-intake.ts'
import { CASE_NO_PATTERN } from '../cases/case-rules.ts'
import { FORMATS, Open311Failure, sendErrors, sendOpen311, type Format, type Open311Error } from './format.ts'
import { serviceDefinitionOf, serviceOf } from './services.ts'
import { DEFAULT_LIST_DAYS, DEFAULT_LIST_LIMIT, MAX_LIST_DAYS, MAX_REQUEST_IDS, findServiceRequests, serviceRequestOf, type RequestFilter } from './service-requests.ts'

/** When the shape of this API last changed: discovery's changeset. */
const CHANGESET = '2026-12-07T00:00:00+08:00'
const SPECIFICATION = 'http://wiki.open311.org/GeoReport_v2'
const DAY_MS = 24 * 60 * 60 * 1000

type Params = { format?: string; code?: string; id?: string }
type Fields = Record<string, unknown>

/** The extension of the resource; an unknown one is answered in XML, the format every client reads. */
const formatOf = (request: FastifyRequest): Format => {
  const asked = (request.params as Params | undefined)?.format
  return FORMATS.includes(asked as Format) ? (asked as Format) : 'xml'
}

const fail = (code: number, description: string): never => {
  throw new Open311Failure([{ code, description }])
}

/** One value of a form or query field: the first of a repeated one, trimmed. */
function one(fields: Fields, name: string): string {
  const v = fields[name]
  const first = Array.isArray(v) ? v[0] : v
  return typeof first === 'string' ? first.trim() : typeof first === 'number' || typeof first === 'boolean' ? String(first) : ''
}

/** A comma-delimited list, as the specification passes service_request_id and status. */
const list = (fields: Fields, name: string): string[] | undefined => {
  const raw = one(fields, name)
  if (!raw) return undefined
  return raw.split(',').map((s) => s.trim()).filter(Boolean)
}

/**
 * An attribute of a POST: `attribute[code]=v` (form encoding; a multivaluelist repeats it or
 * uses `attribute[code][]`), or `attribute: {code: v}` in a JSON body.
 */
function attribute(fields: Fields, code: string): string[] {
  const nested = fields.attribute
  const raw = nested && typeof nested === 'object' && !Array.isArray(nested) ? (nested as Fields)[code] : (fields[`attribute[${code}]`] ?? fields[`attribute[${code}][]`])
  const values = Array.isArray(raw) ? raw : raw === undefined || raw === null ? [] : [raw]
  return values.map((v) => String(v).trim()).filter(Boolean)
}

/** An ISO 8601 date-time with its zone, or an error naming the field. */
function readDateTime(fields: Fields, name: string, t: Translate, errors: Open311Error[]): Date | undefined {
  const raw = one(fields, name)
  if (!raw) return undefined
  // The specification's subset: a date and time, and Z or an offset.
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(raw) || Number.isNaN(Date.parse(raw))) {
    errors.push({ code: 400, description: t('open311.errors.dateTime', { field: name }) })
    return undefined
  }
  return new Date(raw)
}

export default async function open311Routes(app: FastifyInstance) {
  const open = { public: true, csrf: false }
  const timeZone = app.config.timeZone

  // One allowance per address for the whole API (not per route): a client walking every request
  // by number is slowed as the look-up slows a guesser.
  app.addHook('onRequest', app.rateLimit({ max: app.config.open311RateLimitPerMinute, timeWindow: '1 minute' }))

  // A machine client says its language in Accept-Language; Chinese unless it asks for English.
  app.addHook('onRequest', async (request) => {
    const wanted = (request.headers['accept-language'] ?? '').split(',')[0].trim().toLowerCase()
    const locale = wanted.startsWith('en') ? 'en' : wanted.startsWith('zh') ? 'zh-CN' : request.locale
    if (isLocale(locale)) {
      request.locale = locale
      request.t = translator(locale)
    }
  })

  // Every error of the API in the specification's shape, never an HTML page or a stack trace.
  app.setErrorHandler(async (error: FastifyError, request, reply) => {
    const format = formatOf(request)
    if (error instanceof Open311Failure) return sendErrors(reply, format, error.errors)
    // Refused before any route ran (app.ts: a control character in a field), named as the POST names its own refusals.
    if (error instanceof RuleViolation) return sendErrors(reply, format, [error, ...error.others].map((v) => ({ code: 400, description: `${v.field}: ${request.t(v.key, v.params)}` })))
    const status = error.statusCode ?? 500
    if (status === 429) return sendErrors(reply, format, [{ code: 429, description: request.t('open311.errors.tooMany') }])
    if (status >= 400 && status < 500) return sendErrors(reply, format, [{ code: 400, description: request.t('open311.errors.badRequest') }])
    request.log.error({ err: error }, 'open311 request failed')
    return sendErrors(reply, format, [{ code: 500, description: request.t('errors.server') }])
  })
  app.setNotFoundHandler(async (request, reply) => sendErrors(reply, formatOf(request), [{ code: 404, description: request.t('open311.errors.notFound') }]))

  /** The county a request is about: jurisdiction_id is its code, needed only while the server holds more than one. */
  async function jurisdiction(db: Db, fields: Fields, t: Translate): Promise<{ id: number; code: string }> {
    const code = one(fields, 'jurisdiction_id')
    if (code) return (await db.selectFrom('counties').select(['id', 'code']).where('code', '=', code).executeTakeFirst()) ?? fail(404, t('open311.errors.jurisdictionUnknown'))
    const counties = await db.selectFrom('counties').select(['id', 'code']).limit(2).execute()
    if (counties.length !== 1) fail(400, t('open311.errors.jurisdictionRequired'))
    return counties[0]
  }

  /** The partner behind api_key: a missing, unknown or revoked key is refused. */
  async function partnerKey(fields: Fields, t: Translate): Promise<PartnerKey> {
    const key = one(fields, 'api_key')
    if (!key) fail(403, t('open311.errors.apiKeyMissing'))
    return (await findPartnerKey(app.db, key)) ?? fail(403, t('open311.errors.apiKeyInvalid'))
  }

  const format = (request: FastifyRequest, reply: FastifyReply): Format => {
    const asked = (request.params as Params).format
    if (!FORMATS.includes(asked as Format)) fail(404, request.t('open311.errors.format'))
    return asked as Format
  }

  for (const path of ['/discovery.:format', '/v2/discovery.:format']) {
    app.get(path, { config: open }, async (request, reply) => {
      const f = format(request, reply)
      return sendOpen311(reply, f, 200, {
        changeset: CHANGESET,
        contact: request.t('open311.contact'),
        key_service: request.t('open311.keyService'),
        endpoints: [{ specification: SPECIFICATION, url: `${app.config.publicBaseUrl}/open311/v2`, changeset: CHANGESET, type: 'production', formats: ['text/xml', 'application/json'] }],
      }, 'discovery')
    })
  }

  app.get('/v2/services.:format', { config: open }, async (request, reply) => {
    const f = format(request, reply)
    const county = await jurisdiction(app.db, request.query as Fields, request.t)
    // A matter the station cannot handle by proxy (婚姻登记 …) is not a service a partner can file.
    const matters = (await listMatters(app.db, county.id)).filter((m) => m.proxiable)
    return sendOpen311(reply, f, 200, matters.map((m) => serviceOf(request.t, m)), 'services', 'service')
  })

  app.get('/v2/services/:code.:format', { config: open }, async (request, reply) => {
    const f = format(request, reply)
    const county = await jurisdiction(app.db, request.query as Fields, request.t)
    const code = (request.params as Params).code ?? ''
    const matter = code.length <= 12 ? await findMatterByCode(app.db, county.id, code) : undefined
    if (!matter || !matter.active || !matter.proxiable) fail(404, request.t('open311.errors.serviceCodeUnknown'))
    return sendOpen311(reply, f, 200, serviceDefinitionOf(request.t, matter!), 'service_definition')
  })

  /** The partner asking, when a GET carries its key: it may follow its own requests of sensitive matters. */
  async function askingPartner(fields: Fields, countyId: number, t: Translate): Promise<number | null> {
    if (!one(fields, 'api_key')) return null
    const key = await partnerKey(fields, t)
    if (key.countyId !== countyId) fail(403, t('open311.errors.apiKeyJurisdiction'))
    return key.id
  }

  /** The start of the default list: a request asked by number is shown only if the list would show it. */
  const recentSince = () => new Date(app.now().getTime() - DEFAULT_LIST_DAYS * DAY_MS)
  const isOwn = (r: { apiKeyId: number | null }, apiKeyId: number | null) => apiKeyId !== null && r.apiKeyId === apiKeyId

  app.get('/v2/requests.:format', { config: open }, async (request, reply) => {
    const f = format(request, reply)
    const fields = request.query as Fields
    const t = request.t
    const county = await jurisdiction(app.db, fields, t)
    const apiKeyId = await askingPartner(fields, county.id, t)
    const errors: Open311Error[] = []
    const filter: RequestFilter = { countyId: county.id, apiKeyId, limit: DEFAULT_LIST_LIMIT }
    const ids = list(fields, 'service_request_id')
    if (ids) {
      // Asked by number, the other filters do not apply (as the specification says); what the
      // default list would show, a few at a time, so numbers cannot be walked for old cases.
      const pattern = new RegExp(CASE_NO_PATTERN)
      if (ids.length > MAX_REQUEST_IDS || ids.some((id) => !pattern.test(id))) fail(400, t('open311.errors.requestId', { max: MAX_REQUEST_IDS }))
      filter.caseNos = ids.map((id) => id.toUpperCase())
      filter.requestedSince = recentSince()
    } else {
      filter.serviceCodes = list(fields, 'service_code')
      const statuses = list(fields, 'status')
      if (statuses && statuses.some((s) => s !== 'open' && s !== 'closed')) errors.push({ code: 400, description: t('open311.errors.status') })
      else filter.statuses = statuses as ('open' | 'closed')[] | undefined
      const start = readDateTime(fields, 'start_date', t, errors)
      const end = readDateTime(fields, 'end_date', t, errors)
      // Without dates, the last 90 days; one date alone reaches 90 days from it.
      const to = end ?? (start ? new Date(start.getTime() + DEFAULT_LIST_DAYS * DAY_MS) : app.now())
      const from = start ?? new Date(to.getTime() - DEFAULT_LIST_DAYS * DAY_MS)
      if (start && end && end < start) errors.push({ code: 400, description: t('open311.errors.dateOrder') })
      else if (to.getTime() - from.getTime() > MAX_LIST_DAYS * DAY_MS) errors.push({ code: 400, description: t('open311.errors.dateRange', { days: MAX_LIST_DAYS }) })
      filter.from = from
      filter.to = to
    }
    if (errors.length > 0) throw new Open311Failure(errors)
    const rows = await findServiceRequests(app.db, timeZone, filter)
    return sendOpen311(reply, f, 200, rows.map((r) => serviceRequestOf(t, timeZone, r, isOwn(r, apiKeyId))), 'service_requests', 'request')
  })

  app.get('/v2/requests/:id.:format', { config: open }, async (request, reply) => {
    const f = format(request, reply)
    const fields = request.query as Fields
    const county = await jurisdiction(app.db, fields, request.t)
    const apiKeyId = await askingPartner(fields, county.id, request.t)
    const id = ((request.params as Params).id ?? '').toUpperCase()
    // The same rule as a list asked by number: what the default list would show, or the partner's own.
    const rows = new RegExp(CASE_NO_PATTERN).test(id) ? await findServiceRequests(app.db, timeZone, { countyId: county.id, apiKeyId, caseNos: [id], requestedSince: recentSince(), limit: 1 }) : []
    if (rows.length === 0) fail(404, request.t('open311.errors.requestUnknown', { days: DEFAULT_LIST_DAYS }))
    return sendOpen311(reply, f, 200, rows.map((r) => serviceRequestOf(request.t, timeZone, r, isOwn(r, apiKeyId))), 'service_requests', 'request')
  })

  app.post('/v2/requests.:format', { config: open }, async (request, reply) => {
    const f = format(request, reply)
    const t = request.t
    const body = (request.body && typeof request.body === 'object' ? request.body : {}) as Fields
    // The key may come in the body (the specification) or the query string (some clients).
    const key = await partnerKey({ ...(request.query as Fields), ...body }, t)
    const jurisdictionId = one(body, 'jurisdiction_id')
    if (jurisdictionId && jurisdictionId !== key.countyCode) fail(403, t('open311.errors.apiKeyJurisdiction'))
    const first = one(body, 'first_name')
    const last = one(body, 'last_name')
    // A Chinese name is 姓 (last_name) then 名 (first_name), written together; others with a space.
    const name = /[\u3400-\u9fff]/.test(first + last) ? `${last}${first}` : [first, last].filter(Boolean).join(' ')
    const input: PartnerRequestInput = {
      serviceCode: one(body, 'service_code'),
      villageCode: one(body, 'address_id'),
      villageName: one(body, 'address_string'),
      name,
      phone: one(body, 'phone'),
      description: one(body, 'description'),
      serviceForm: attribute(body, 'service_form')[0] ?? '',
      homeService: attribute(body, 'home_service')[0] ?? 'false',
      villageGroup: attribute(body, 'village_group')[0] ?? '',
      vulnerable: attribute(body, 'vulnerable')[0] ?? 'none',
      materials: attribute(body, 'materials'),
      idempotencyKey: typeof request.headers['idempotency-key'] === 'string' ? request.headers['idempotency-key'].slice(0, 100) : null,
    }
    let result
    try {
      result = await registerPartnerRequest(app.db, key, input, app.today(), app.now())
    } catch (error) {
      if (!(error instanceof RuleViolation)) throw error
      const refused = [error, ...error.others]
      await auditRefusedRequest(app.db, key, refused.map((v) => v.field ?? ''), app.now())
      throw new Open311Failure(refused.map((v) => ({ code: 400, description: `${v.field}: ${t(v.key, v.params)}` })))
    }
    const notice = t('open311.filedNotice', { station: t('open311.station', { town: result.townName, village: result.villageName }), due: result.registrationDue, phone: result.stationPhone || '—' })
    return sendOpen311(reply, f, result.duplicate ? 200 : 201, [{ service_request_id: result.caseNo, service_notice: notice, account_id: null }], 'service_requests', 'request')
  })
}
