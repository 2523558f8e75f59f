import fp from 'fastify-plugin'
import type { FastifyInstance, FastifyReply } from 'fastify'
import { findChromium, PdfRenderer, type PdfOptions } from './renderer.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'
import { publicBaseUrlWarning } from '../config/config.ts'

declare module 'fastify' {
  interface FastifyInstance {
    printing: PdfRenderer
  }
  interface FastifyReply {
    /** `beforeSend` runs once the PDF is made and before it goes out: an export of personal data records itself there, so a failed rendering is not recorded and an unrecorded one is not sent. */
    sendPdf(html: string, fileName: string, options?: PdfOptions, beforeSend?: () => Promise<unknown>): Promise<FastifyReply>
  }
}

/** The PDF renderer, shared by every route; closed with the app. */
async function printingPlugin(app: FastifyInstance) {
  const renderer = new PdfRenderer({
    executablePath: await findChromium(app.config.chromiumPath),
    concurrency: app.config.pdfConcurrency,
    queueTimeoutMs: app.config.pdfQueueTimeoutMs,
    renderTimeoutMs: 30000,
  })
  const baseUrlWarning = publicBaseUrlWarning(app.config)
  if (baseUrlWarning) app.log.warn(baseUrlWarning)
  if (!renderer.available) app.log.warn('No Chromium found: documents are offered as HTML print views only. Install it with: apt-get install -y chromium fonts-noto-cjk')
  app.decorate('printing', renderer)
  app.decorateReply('sendPdf', async function (this: FastifyReply, html: string, fileName: string, options: PdfOptions = {}, beforeSend?: () => Promise<unknown>) {
    const pdf = await renderer.pdf(html, options, this.request.actor ? `user:${this.request.actor.id}` : `ip:${this.request.ip}`)
    await beforeSend?.()
    return this.type('application/pdf').header('content-disposition', `inline; filename="${encodeURIComponent(fileName)}.pdf"`).send(pdf)
  })
  app.addHook('onClose', async () => renderer.close())
  // Printed due dates after the last published holiday year say 暂定: the template helper knows that
  // year once the calendar has been read, so it is read at start (a later read refreshes it).
  app.addHook('onReady', async () => {
    try {
      await loadCalendar(app.db)
    } catch (error) {
      app.log.warn({ err: error }, 'calendar not read at start; provisional dates are marked after its first read')
    }
  })
}

export default fp(printingPlugin, { name: 'printing', dependencies: ['db'] })
