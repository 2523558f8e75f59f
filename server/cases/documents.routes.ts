import type { FastifyInstance, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { NotFound } from '../errors/errors.ts'
import { scopeOf } from '../accounts/actor.ts'
import { renderDocumentHtml } from '../printing/documents.ts'
import { findCaseInScope } from './cases.repository.ts'
import { CASE_DOCUMENTS, documentModel, documentsFor, type CaseDocument } from './case-documents.ts'
import { formatLocalDateTime } from '../calendar/local-time.ts'
import { escapeHtml } from '../printing/renderer.ts'

const params = {
  type: 'object',
  required: ['id', 'doc'],
  properties: { id: { type: 'string', pattern: '^[1-9][0-9]{0,17}$' }, doc: { type: 'string', enum: CASE_DOCUMENTS } },
} as const

/**
 * Every document a villager takes home: an HTML print view and the same as a PDF. These are the
 * villager's own papers (receipts, notices, reply slips), printed to be handed over, not exports of
 * other people's data: they are not written to the record of personal-data access (privacy/export-record.ts).
 */
export default async function documentRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  async function prepare(request: FastifyRequest, { id, doc }: { id: string; doc: CaseDocument }, target: 'pdf' | 'browser') {
    const c = await findCaseInScope(app.db, scopeOf(request.actor!), id)
    if (!c) throw new NotFound()
    const hasExtension = Boolean(await app.db.selectFrom('caseExtensions').select('id').where('caseId', '=', c.id).where('status', '=', 'approved').executeTakeFirst())
    if (!documentsFor(c, hasExtension).includes(doc)) throw new NotFound()
    const t = request.t
    const title = t(`docs.titles.${doc}`)
    const printBar =
      target === 'browser'
        ? `${escapeHtml(t('docs.printHint'))} · ${app.printing.available ? `<a href="/cases/${c.id}/documents/${doc}/pdf">PDF</a> · ` : ''}<a href="/cases/${c.id}">${escapeHtml(t('common.back'))}</a>`
        : ''
    const html = await renderDocumentHtml(
      doc,
      {
        locale: request.locale,
        title,
        caseNo: c.caseNo,
        townName: c.townName,
        villageName: c.villageName,
        lookupUrl: `${app.config.publicBaseUrl}/lookup?no=${encodeURIComponent(c.caseNo)}`,
        generatedAt: formatLocalDateTime(app.now(), app.config.timeZone),
      },
      await documentModel(app.db, c, doc, app.today(), t),
      target,
      printBar,
    )
    return { html, fileName: `${c.caseNo}-${title}`, generatedAt: formatLocalDateTime(app.now(), app.config.timeZone), caseNo: c.caseNo }
  }

  app.get('/cases/:id/documents/:doc', { schema: { params } }, async (request, reply) => {
    const { html } = await prepare(request, request.params, 'browser')
    return reply.type('text/html; charset=utf-8').send(html)
  })

  app.get('/cases/:id/documents/:doc/pdf', { schema: { params } }, async (request, reply) => {
    const { id, doc } = request.params
    // Without Chromium the print view is the document.
    if (!app.printing.available) return reply.redirect(`/cases/${id}/documents/${doc}`, 303)
    const { html, fileName, generatedAt, caseNo } = await prepare(request, request.params, 'pdf')
    return reply.sendPdf(html, fileName, { footerText: `${caseNo}  ${generatedAt}` })
  })
}
