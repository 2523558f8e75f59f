import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { TemplateDelegate } from 'handlebars'
import { handlebars, templatesDir } from '../views/plugin.ts'
import { PRINT_ORIGIN } from './renderer.ts'
import { formatLocalDateTime } from '../calendar/local-time.ts'

const compiled = new Map<string, TemplateDelegate>()
function template(name: string): TemplateDelegate {
  let t = compiled.get(name)
  if (!t) {
    t = handlebars.compile(readFileSync(path.join(templatesDir, `${name}.hbs`), 'utf8'))
    compiled.set(name, t)
  }
  return t
}

/** A landscape table report (ledger, fee report) for the PDF renderer; the table header repeats on every page. */
export async function renderReportHtml(name: string, frame: { locale: string; title: string; subtitle: string; generatedAt: Date }, model: object, timeZone: string): Promise<string> {
  const data = { ...model, ...frame, generatedAt: formatLocalDateTime(frame.generatedAt, timeZone), fontBase: `${PRINT_ORIGIN}/fonts`, assetBase: `${PRINT_ORIGIN}/assets`, timeZone }
  const body = template(`reports/${name}`)(data)
  return template('report-layout')({ ...data, body })
}
