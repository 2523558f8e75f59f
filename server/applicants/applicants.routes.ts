import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { renderReportHtml } from '../printing/reports.ts'
import { NotFound } from '../errors/errors.ts'
import { findApplicantInScope } from './applicants.repository.ts'
import { openIdNumber } from '../privacy/id-vault.ts'
import { maskedContact } from '../privacy/need-to-see.ts'
import { recordExport } from '../privacy/export-record.ts'
import { idParams } from '../views/forms.ts'
import { accessHistoryForFile } from '../privacy/access-view.ts'

/** 一人一档: every visit, case, fee and rating of one applicant on one page. */
export default async function applicantRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  async function fileModel(request: FastifyRequest, id: number) {
    const applicant = await findApplicantInScope(app.db, request.actor!, id)
    if (!applicant) throw new NotFound()
    const [cases, visits, fees, ratings] = await Promise.all([
      app.db.selectFrom('cases').innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId').select(['cases.id', 'cases.caseNo', 'cases.stage', 'cases.registeredOn', 'cases.completedOn', 'cases.outcome', 'matterVersions.name as matterName']).where('cases.applicantId', '=', id).orderBy('cases.id', 'desc').execute(),
      app.db.selectFrom('visits').select(['id', 'visitedAt', 'people', 'purpose', 'told']).where('applicantId', '=', id).orderBy('visitedAt', 'desc').execute(),
      app.db.selectFrom('feeEntries').select(['id', 'serial', 'day', 'kind', 'amountFen', 'department']).where('applicantId', '=', id).orderBy('id', 'desc').execute(),
      app.db.selectFrom('caseRatings').innerJoin('cases', 'cases.id', 'caseRatings.caseId').select(['cases.caseNo', 'caseRatings.overall', 'caseRatings.comment', 'caseRatings.recordedAt']).where('cases.applicantId', '=', id).orderBy('caseRatings.recordedAt', 'desc').execute(),
    ])
    const { idNumberSealed, idNumberHash: _hash, ...person } = applicant
    return { applicant: { ...person, idNumber: openIdNumber(idNumberSealed) }, cases, visits, fees, ratings }
  }
  const roles = { roles: ['agent', 'supervisor', 'admin'] as const }

  app.get('/applicants/:id', { config: roles, schema: { params: idParams } }, async (request, reply) => {
    const model = await fileModel(request, request.params.id)
    const accessHistory = await accessHistoryForFile(app.db, request.actor!, model.applicant.id, app.config.timeZone, request.t)
    // The page shows the ID number and phone masked, each with its "show" control (need to see).
    const contact = maskedContact(model.applicant, `/applicants/${model.applicant.id}`)
    return reply.viewAsync('applicants/file.hbs', { title: model.applicant.name, ...model, contact, pdfAvailable: app.printing.available, accessHistory })
  })

  app.get('/applicants/:id/pdf', { config: { ...roles, recordsAccess: true }, schema: { params: idParams } }, async (request, reply) => {
    if (!app.printing.available) return reply.redirect(request.url.replace('/pdf', ''), 303)
    const model = await fileModel(request, request.params.id)
    const html = await renderReportHtml('person-file', { locale: request.locale, title: `${model.applicant.name} · ${request.t('applicants.file')}`, subtitle: `${model.applicant.townName} · ${model.applicant.villageName}`, generatedAt: app.now() }, model, app.config.timeZone)
    // The printed file is the full record, ID number and phone included: recorded as an export of this one person.
    return reply.sendPdf(html, `person-${model.applicant.id}`, { footerText: `person ${model.applicant.id}` }, () =>
      recordExport(app.db, request.actor!, { exportName: 'person-file.pdf', page: request.url, rowCount: 1, applicantIds: [model.applicant.id] }, app.now()),
    )
  })
}
