import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { NotFound, RuleViolation } from '../errors/errors.ts'
import { text, phone, idFilter, bigintId, optionalBigintId, toId, sentValues } from '../views/forms.ts'
import { fieldErrorsFromRule, fieldErrorsFromValidation, type FieldErrors } from '../views/form-errors.ts'
import { scopeOf } from '../accounts/actor.ts'
import { findVillageInScope } from '../org/org.repository.ts'
import { resolveStation } from '../org/station.ts'
import { listMatters } from '../matters/matters.repository.ts'
import { renderReportHtml } from '../printing/reports.ts'
import { publishAnnouncement, withdrawNotice, prepareMonthlyList, approveMonthlyList } from './notices.service.ts'
import { recordAudit } from '../audit/audit.ts'
import { monthBounds, monthOf } from '../supervision/months.ts'
import { boardSatisfaction, satisfactionRate } from '../ratings/satisfaction.ts'
import { qrCodeSvg } from '../printing/qr.ts'

const codeParams = { type: 'object', required: ['code'], properties: { code: { type: 'string', maxLength: 12, pattern: '^[0-9A-Za-z]{2,12}$' } } } as const
const noticeParams = { type: 'object', required: ['id'], properties: { id: bigintId } } as const
const announcementBody = { type: 'object', properties: { title: text(100), body: text(5000), shownFrom: text(10), shownTo: text(10), replacesId: optionalBigintId } } as const
const factsBody = { type: 'object', properties: { villageId: idFilter, stationPhone: phone, officeHours: text(200) } } as const

/** The village notice board (公示栏): public, light, printable; and its management for the station. */
export default async function boardRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  // A past month's figures barely move, and every villager's phone asks for them: they are kept
  // for a few minutes per station instead of being counted again on every view.
  const satisfactionCache = new Map<string, { at: number; rows: Awaited<ReturnType<typeof boardSatisfaction>> }>()
  const SATISFACTION_CACHE_MS = 5 * 60_000

  /** Last month's satisfaction of the station and of its town's windows (appeals upheld left out). */
  async function lastMonthSatisfaction(villageId: number, month: string) {
    const key = `${villageId}:${month}`
    const hit = satisfactionCache.get(key)
    if (hit && Date.now() - hit.at < SATISFACTION_CACHE_MS) return hit.rows
    const rows = await boardSatisfaction(app.db, villageId, month, app.config.timeZone)
    satisfactionCache.set(key, { at: Date.now(), rows })
    return rows
  }

  /** Everything the public board shows; no personal data beyond the masked forms stored in notices. */
  async function boardModel(code: string) {
    const village = await app.db
      .selectFrom('villages')
      .innerJoin('towns', 'towns.id', 'villages.townId')
      .select(['villages.id', 'villages.code', 'villages.name', 'villages.countyId', 'villages.stationPhone', 'villages.officeHours', 'villages.address', 'towns.name as townName'])
      .where('villages.code', '=', code.toUpperCase())
      .executeTakeFirst()
    if (!village) throw new NotFound()
    const today = app.today()
    const [agents, notices, matters] = await Promise.all([
      app.db.selectFrom('users').select(['displayName', 'phone', 'post']).where('villageId', '=', village.id).where('role', '=', 'agent').where('disabled', '=', false).orderBy('post').execute(),
      app.db.selectFrom('notices').selectAll().where('villageId', '=', village.id).where('status', 'in', ['published', 'withdrawn']).orderBy('id', 'desc').limit(300).execute(),
      listMatters(app.db, village.countyId),
    ])
    const current = notices.filter((n) => n.status === 'published' && n.shownFrom <= today && (n.shownTo === null || n.shownTo >= today))
    const { previous } = monthBounds(monthOf(today))
    const satisfaction = await lastMonthSatisfaction(village.id, previous)
    const rate = (r: { n: string; satisfied: string }) => satisfactionRate(Number(r.n), Number(r.satisfied))
    const station = satisfaction.find((r) => r.unit === 'station')
    const view = (n: (typeof notices)[number]) => ({ ...n, body: (n.content as { body?: string }).body ?? '' })
    return {
      village,
      agents,
      matters: matters.filter((m) => m.proxiable),
      postings: current.filter((n) => n.kind === 'posting').map(view),
      monthlyList: notices.find((n) => n.kind === 'monthly_list' && n.status === 'published'),
      announcements: current.filter((n) => n.kind === 'announcement').map(view),
      withdrawn: notices.filter((n) => n.status === 'withdrawn').map(view),
      boardUrl: `${app.config.publicBaseUrl}/board/${village.code}`,
      satisfactionMonth: previous,
      stationSatisfaction: station ? rate(station) : null,
      windowSatisfaction: satisfaction.filter((r) => r.unit === 'window').map((r) => ({ name: r.windowName, rate: rate(r), ratings: Number(r.n) })),
    }
  }

  app.get('/board', { config: { public: true } }, async (request, reply) => {
    const villages = await app.db.selectFrom('villages').innerJoin('towns', 'towns.id', 'villages.townId').select(['villages.code', 'villages.name', 'towns.name as townName']).orderBy('towns.code').orderBy('villages.code').execute()
    return reply.viewAsync('notices/boards.hbs', { title: request.t('board.title'), villages })
  })

  app.get('/board/:code', { config: { public: true }, schema: { params: codeParams } }, async (request, reply) => {
    const model = await boardModel(request.params.code)
    return reply.viewAsync('notices/board.hbs', { title: `${model.village.name}${request.t('board.suffix')}`, ...model })
  })

  // The poster for the physical board, A4 or A3, with a QR code of the online page. Staff print it.
  app.get(
    '/board/:code/poster',
    { config: { roles: ['agent', 'supervisor', 'admin'] }, schema: { params: codeParams, querystring: { type: 'object', properties: { size: { type: 'string', enum: ['A4', 'A3'] } } } } },
    async (request, reply) => {
      const model = await boardModel(request.params.code)
      if (!(await findVillageInScope(app.db, scopeOf(request.actor!), model.village.id))) throw new NotFound()
      const size = request.query.size ?? 'A4'
      if (!app.printing.available) return reply.redirect(`/board/${model.village.code}`, 303)
      const qrSvg = await qrCodeSvg(model.boardUrl)
      const html = await renderReportHtml('board-poster', { locale: request.locale, title: `${model.village.name}${request.t('board.suffix')}`, subtitle: model.village.townName, generatedAt: app.now() }, { ...model, qrSvg, size }, app.config.timeZone)
      return reply.sendPdf(html, `${model.village.code}-poster-${size}`, { format: size, footerText: model.boardUrl })
    },
  )

  // ---- Management (station agents; supervisors approve and may withdraw) ----
  async function renderManage(request: FastifyRequest, reply: FastifyReply, status: number, villageId: number | null, form: { values: Record<string, unknown>; errors: FieldErrors } = { values: {}, errors: {} }) {
    const actor = request.actor!
    const { station: village } = await resolveStation(app.db, request, villageId)
    const notices = await app.db.selectFrom('notices').selectAll().where('villageId', '=', village.id).orderBy('id', 'desc').limit(200).execute()
    const agents = await app.db.selectFrom('users').select(['displayName', 'phone', 'post']).where('villageId', '=', village.id).where('role', '=', 'agent').execute()
    return reply.code(status).viewAsync('notices/manage.hbs', {
      title: request.t('board.manageTitle'),
      village,
      agents,
      notices: notices.map((n) => ({ ...n, body: (n.content as { body?: string }).body ?? '' })),
      isAgent: actor.role === 'agent',
      isSupervisor: actor.role === 'supervisor',
      values: { shownFrom: app.today(), month: monthBounds(monthOf(app.today())).previous, stationPhone: village.stationPhone, officeHours: village.officeHours, ...form.values },
      errors: form.errors,
    })
  }
  const manage = { roles: ['agent', 'supervisor'] as const }
  const villageQuery = { type: 'object', properties: { villageId: idFilter } } as const

  app.get('/notices', { config: manage, schema: { querystring: villageQuery } }, async (request, reply) => renderManage(request, reply, 200, toId(request.query.villageId)))

  async function act(request: FastifyRequest, reply: FastifyReply, villageId: number | null, body: Record<string, unknown>, action: () => Promise<unknown>) {
    if (request.validationError) return renderManage(request, reply, 400, villageId, { values: body, errors: fieldErrorsFromValidation(request.validationError.validation, request.t) })
    try {
      await action()
    } catch (error) {
      if (error instanceof RuleViolation) return renderManage(request, reply, 400, villageId, { values: body, errors: fieldErrorsFromRule(error, request.t) })
      throw error
    }
    return reply.redirect(villageId ? `/notices?villageId=${villageId}` : '/notices', 303)
  }

  app.post(
    '/notices/announcements',
    { config: { roles: ['agent'] }, schema: { body: announcementBody }, attachValidation: true },
    async (request, reply) =>
      act(request, reply, null, sentValues(request.body), () => {
        const body = request.body
        return publishAnnouncement(app.db, request.actor!, { title: body.title ?? '', body: body.body ?? '', shownFrom: body.shownFrom ?? '', shownTo: body.shownTo ?? '', replacesId: body.replacesId || null }, app.now())
      }),
  )

  app.post('/notices/monthly', { config: { roles: ['agent'] }, schema: { body: { type: 'object', properties: { month: text(7) } } }, attachValidation: true }, async (request, reply) => {
    return act(request, reply, null, sentValues(request.body), () => prepareMonthlyList(app.db, request.actor!, request.body.month ?? '', app.today()))
  })

  app.post('/notices/:id/approve', { config: { roles: ['supervisor'] }, schema: { params: noticeParams } }, async (request, reply) => {
    const { id } = request.params
    const notice = await app.db.selectFrom('notices').select('villageId').where('id', '=', id).executeTakeFirst()
    return act(request, reply, notice?.villageId ?? null, {}, () => approveMonthlyList(app.db, request.actor!, id, app.now()))
  })

  app.post('/notices/:id/withdraw', { config: manage, schema: { params: noticeParams, body: { type: 'object', properties: { reason: text(300) } } }, attachValidation: true }, async (request, reply) => {
    // A malformed id names no notice; it never reaches a bigint column.
    if (request.validationError?.validationContext === 'params') throw new NotFound()
    const { id } = request.params
    const notice = await app.db.selectFrom('notices').select('villageId').where('id', '=', id).executeTakeFirst()
    // withdrawId tells the page which row's form to re-open with the reason typed.
    return act(request, reply, request.actor!.role === 'agent' ? null : (notice?.villageId ?? null), { ...sentValues(request.body), withdrawId: id }, () =>
      withdrawNotice(app.db, request.actor!, id, request.body.reason ?? '', app.now()),
    )
  })

  // Station facts (phone, office hours): editable by the station's agents and its supervisors.
  app.post(
    '/notices/facts',
    { config: manage, schema: { body: factsBody }, attachValidation: true },
    async (request, reply) => {
      const actor = request.actor!
      // A station the schema refused is none: the form is re-shown for the supervisor's own.
      const villageId = actor.role === 'agent' ? actor.villageId! : request.validationError ? null : toId(request.body.villageId)
      return act(request, reply, actor.role === 'agent' ? null : villageId, sentValues(request.body), async () => {
        const body = request.body
        const village = villageId ? await findVillageInScope(app.db, scopeOf(actor), villageId) : undefined
        if (!village) throw new NotFound()
        await app.db.transaction().execute(async (trx) => {
          await trx.updateTable('villages').set({ stationPhone: (body.stationPhone ?? '').trim(), officeHours: (body.officeHours ?? '').trim() }).where('id', '=', village.id).execute()
          await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'village.facts_edited', subjectType: 'village', subjectId: village.id, data: { stationPhone: body.stationPhone, officeHours: body.officeHours } })
        })
      })
    },
  )
}
