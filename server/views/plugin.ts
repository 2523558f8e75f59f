import fp from 'fastify-plugin'
import path from 'node:path'
import { readdirSync, readFileSync } from 'node:fs'
import Handlebars from 'handlebars'
import view from '@fastify/view'
import type { FastifyInstance } from 'fastify'
import { registerHelpers } from './helpers.ts'
import { projectRoot } from '../config/paths.ts'

export const viewsDir = path.join(projectRoot, 'views')
export const templatesDir = path.join(projectRoot, 'templates')

/** One Handlebars instance for pages (views/) and printed documents (templates/). */
export const handlebars = Handlebars.create()
registerHelpers(handlebars)

/** Partials by file name; a case step's form is `actions/<step>` (views/cases/actions/, see stepForm). */
const partialFolders: [string, string][] = [['partials', ''], ['cases/actions', 'actions/']]
for (const [folder, prefix] of partialFolders) {
  for (const file of readdirSync(path.join(viewsDir, folder))) {
    if (file.endsWith('.hbs')) handlebars.registerPartial(prefix + file.replace(/\.hbs$/, ''), readFileSync(path.join(viewsDir, folder, file), 'utf8'))
  }
}

async function viewsPlugin(app: FastifyInstance, options: { cache: boolean }) {
  await app.register(view, {
    engine: { handlebars },
    root: viewsDir,
    layout: 'layout.hbs',
    viewExt: 'hbs',
    production: options.cache,
  })
}

export default fp(viewsPlugin, { name: 'views' })
