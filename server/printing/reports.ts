import { printTemplate as template } from './templates.ts'
import { PRINT_ORIGIN } from './renderer.ts'
import { formatLocalDateTime } from '../calendar/local-time.ts'

/** A landscape table report (ledger, fee report) for the PDF renderer; the table header repeats on every page. */
export async function renderReportHtml(name: string, frame: { locale: string; title: string; subtitle: string; generatedAt: Date }, model: object, timeZone: string): Promise<string> {
  const data = { ...model, ...frame, generatedAt: formatLocalDateTime(frame.generatedAt, timeZone), fontBase: `${PRINT_ORIGIN}/fonts`, assetBase: `${PRINT_ORIGIN}/assets`, timeZone }
  const body = template(`reports/${name}`)(data)
  return template('report-layout')({ ...data, body })
}
