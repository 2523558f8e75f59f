import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { scopeOf } from '../accounts/actor.ts'
import { recordAudit } from '../audit/audit.ts'
import { MONTH_PATTERN } from '../calendar/working-days.ts'
import { BOM, csvLine } from '../ledger/csv.ts'
import { monthOf } from '../supervision/months.ts'
import { EVALUATION_FIELDS, evaluationCsvCells, evaluationRecords } from './evaluation-record.ts'
import { applicantsOfCaseNos, recordExport } from '../privacy/export-record.ts'

const monthQuery = { type: 'object', properties: { month: { type: 'string', maxLength: 7, pattern: `^$|${MONTH_PATTERN}`, hint: 'stats.monthFormat' } } } as const

/**
 * The month's 好差评 records for the provincial platform, for the supervisor's town or the county.
 * They carry applicants' ID numbers and phones in full, so only supervisors and administrators get
 * them, and each export is written to the audit trail and to the record of personal-data access.
 */
export default async function evaluationExportRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const roles = { roles: ['supervisor', 'admin'] as const }

  async function exported(request: FastifyRequest, asked: string | undefined, format: 'csv' | 'json') {
    const actor = request.actor!
    const month = asked || monthOf(app.today())
    const records = await evaluationRecords(app.db, { scope: scopeOf(actor), month }, request.t, app.config.timeZone)
    // The whole file is made before it is sent: it is recorded (audit trail and personal-data access) with its row count first.
    await app.db.transaction().execute(async (trx) => {
      await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'ratings.exported', subjectType: 'ratings', subjectId: month, data: { format, records: records.length } })
      const applicantIds = await applicantsOfCaseNos(trx, actor.countyId, records.map((r) => r.case_no))
      await recordExport(trx, actor, { exportName: `ratings.${format}`, page: request.url, rowCount: records.length, applicantIds }, app.now())
    })
    return { month, records }
  }

  app.get('/ratings/export.csv', { config: { ...roles, recordsAccess: true }, schema: { querystring: monthQuery } }, async (request, reply) => {
    const { month, records } = await exported(request, request.query.month, 'csv')
    const t = request.t
    let csv = BOM + csvLine(EVALUATION_FIELDS.map((f) => t(`evaluationExport.fields.${f}`)))
    for (const r of records) csv += csvLine(evaluationCsvCells(r, t))
    reply.header('content-disposition', `attachment; filename="ratings-${month}.csv"`)
    return reply.type('text/csv; charset=utf-8').send(csv)
  })

  app.get('/ratings/export.json', { config: { ...roles, recordsAccess: true }, schema: { querystring: monthQuery } }, async (request, reply) => {
    const { month, records } = await exported(request, request.query.month, 'json')
    reply.header('content-disposition', `attachment; filename="ratings-${month}.json"`)
    return reply.type('application/json; charset=utf-8').send(JSON.stringify({ month, count: records.length, records }))
  })
}
