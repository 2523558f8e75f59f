import { readFileSync } from 'node:fs'
import path from 'node:path'
import type { TemplateDelegate } from 'handlebars'
import { handlebars, templatesDir } from '../views/plugin.ts'

const compiled = new Map<string, TemplateDelegate>()

/** A template of templates/ (documents, reports, messages), compiled once with the pages' Handlebars. */
export function printTemplate(name: string): TemplateDelegate {
  let t = compiled.get(name)
  if (!t) {
    t = handlebars.compile(readFileSync(path.join(templatesDir, `${name}.hbs`), 'utf8'))
    compiled.set(name, t)
  }
  return t
}
