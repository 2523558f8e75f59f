import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify'
import querystring from 'node:querystring'
import path from 'node:path'
import cookie from '@fastify/cookie'
import formbody from '@fastify/formbody'
import helmet from '@fastify/helmet'
import rateLimit from '@fastify/rate-limit'
import csrf from '@fastify/csrf-protection'
import staticFiles from '@fastify/static'
import type { AppConfig } from './config/config.ts'
import { formatLocalDate } from './calendar/local-time.ts'
import type { Db } from './db/connect.ts'
import dbPlugin from './db/plugin.ts'
import i18nPlugin from './i18n/plugin.ts'
import viewsPlugin, { viewsDir } from './views/plugin.ts'
import { projectRoot } from './config/paths.ts'
import authPlugin, { cookieName, CSRF_COOKIE } from './accounts/auth.plugin.ts'
import errorHandler from './errors/handler.ts'
import layoutLocals, { isAssetUrl } from './views/layout-locals.ts'
import recordedLinks from './privacy/recorded-links.ts'
import textSizeRoutes from './views/text-size.ts'
import { AJV_OPTIONS } from './views/forms.ts'
import { checkSubmitted } from './views/submitted-values.ts'
import { RuleViolation, TooDeep } from './errors/errors.ts'
import exportSlots from './ledger/export-slots.ts'
import { useIdVault } from './privacy/id-vault.ts'
import healthRoutes, { benchFloorRoutes } from './health/health.routes.ts'
import accountRoutes from './accounts/accounts.routes.ts'
import userAdminRoutes from './accounts/users.routes.ts'
import orgRoutes from './org/org.routes.ts'
import homeRoutes from './home/home.routes.ts'
import calendarRoutes from './calendar/calendar.routes.ts'
import matterRoutes from './matters/matters.routes.ts'
import caseRoutes from './cases/cases.routes.ts'
import documentRoutes from './cases/documents.routes.ts'
import printingPlugin from './printing/plugin.ts'
import jobsPlugin from './jobs/plugin.ts'
import lookupRoutes from './lookup/lookup.routes.ts'
import feeRoutes from './fees/fees.routes.ts'
import ledgerRoutes from './ledger/ledger.routes.ts'
import visitRoutes from './visits/visits.routes.ts'
import applicantRoutes from './applicants/applicants.routes.ts'
import privacyRoutes from './privacy/privacy.routes.ts'
import boardRoutes from './notices/board.routes.ts'
import notificationRoutes from './notifications/notifications.routes.ts'
import supervisionRoutes from './supervision/supervision.routes.ts'
import rectificationRoutes from './ratings/rectifications.routes.ts'
import statsRoutes from './supervision/stats.routes.ts'
import open311Routes from './open311/open311.routes.ts'
import apiKeyRoutes from './partners/api-keys.routes.ts'
import importRoutes from './imports/imports.routes.ts'
import evaluationExportRoutes from './ratings/evaluation-export.routes.ts'
import accessRoutes from './privacy/access.routes.ts'

declare module 'fastify' {
  interface FastifyInstance {
    config: AppConfig
    /** The current instant; tests fix it. */
    now: () => Date
    /** Today's date in the configured time zone ('YYYY-MM-DD'). */
    today: () => string
    /** Every route as registered (method, url, public, roles): the authorization test walks it. */
    /** Every route with who may use it and the fields its body schema declares (the security tests walk this). */
    routeTable: { method: string; url: string; public: boolean; roles: readonly string[] | null; bodyFields: string[]; recordsAccess: boolean }[]
  }
}

export interface BuildOptions {
  config: AppConfig
  db: Db
  logger?: FastifyServerOptions['logger']
  now?: () => Date
}

// Caps that keep a hostile form from costing memory: bytes, and fields per form.
export const BODY_LIMIT_BYTES = 256 * 1024
export const MAX_FORM_FIELDS = 300

/**
 * What a request log line says about the request: the path without its query, because queries
 * carry what people search for (an ID number, a phone) and logs are kept and shared.
 */
export const requestLogSerializers = {
  req: (request: { method: string; url: string; ip?: string }) => ({ method: request.method, url: request.url.split('?')[0], remoteAddress: request.ip }),
}

/** Builds the application without listening; only server/index.ts listens. */
export async function buildApp(options: BuildOptions): Promise<FastifyInstance> {
  const { config } = options
  useIdVault(config.piiKeyFile)
  const app = Fastify({
    logger: options.logger === false ? false : { level: config.logLevel, ...(typeof options.logger === 'object' ? options.logger : {}), serializers: requestLogSerializers },
    bodyLimit: BODY_LIMIT_BYTES,
    trustProxy: config.trustProxy,
    requestIdHeader: false,
    genReqId: () => Math.random().toString(36).slice(2, 10),
    ajv: {
      customOptions: AJV_OPTIONS,
    },
  })
  app.decorate('config', config)
  const now = options.now ?? (() => new Date())
  app.decorate('now', now)
  app.decorate('today', () => formatLocalDate(now(), config.timeZone))
  // One check of every submitted value, before any schema or route sees it (views/submitted-values.ts).
  // PostgreSQL text cannot hold a NUL character and no form has a use for one: it is dropped. A body
  // nested deeper than any form is refused. A control character is refused naming its field: a form
  // route (attachValidation) gets it as one more validation error after its schema has run, so the
  // form is re-shown with the values typed; any other route answers 400 through its error handler.
  app.addHook('preValidation', async (request) => {
    const found: { context: ValidationContext; at: string }[] = []
    for (const [context, value] of [['body', request.body], ['querystring', request.query], ['params', request.params]] as const) {
      const check = checkSubmitted(value)
      if (check.tooDeep) throw new TooDeep()
      for (const at of check.controlCharacterAt) found.push({ context, at })
    }
    if (found.length === 0) return
    if (request.routeOptions.attachValidation) request.controlCharactersAt = found
    else throw RuleViolation.all(found.map(({ at }) => new RuleViolation('validation.controlCharacterIn', at.slice(1), { field: at.slice(1) })))!
  })
  app.addHook('preHandler', async (request) => {
    const found = request.controlCharactersAt
    if (!found) return
    const refused = found.map(({ at }) => ({ keyword: 'controlCharacter', instancePath: at, schemaPath: '', params: {}, message: 'must not contain control characters' }))
    const earlier = request.validationError
    request.validationError = Object.assign(earlier ?? new Error('control characters'), {
      validation: [...refused, ...(earlier?.validation ?? [])],
      validationContext: earlier?.validationContext ?? found[0].context,
    })
  })

  app.decorate('routeTable', [])
  app.addHook('onRoute', (route) => {
    // Stylesheets and fonts are for everyone, the login page and the public board included.
    if (isAssetUrl(route.url)) route.config = { ...(route.config ?? {}), public: true }
    for (const method of [route.method].flat()) {
      if (method === 'HEAD') continue
      const routeConfig = (route.config ?? {}) as { public?: boolean; roles?: readonly string[]; recordsAccess?: boolean }
      const body = (route.schema?.body ?? {}) as { properties?: Record<string, unknown> }
      app.routeTable.push({ method, url: route.url, public: Boolean(routeConfig.public), roles: routeConfig.roles ?? null, bodyFields: Object.keys(body.properties ?? {}), recordsAccess: Boolean(routeConfig.recordsAccess) })
    }
  })

  // Ecosystem plugins.
  await app.register(cookie)
  await app.register(formbody, {
    bodyLimit: BODY_LIMIT_BYTES,
    // More fields than any form has is refused outright (not silently cut to the first 300).
    parser: (body: string) => {
      if (body !== '' && body.split('&').length > MAX_FORM_FIELDS) throw Object.assign(new Error('too many form fields'), { statusCode: 413, code: 'APP_TOO_MANY_FIELDS' })
      return querystring.parse(body, undefined, undefined, { maxKeys: MAX_FORM_FIELDS })
    },
  })
  await app.register(helmet, {
    contentSecurityPolicy: {
      directives: {
        defaultSrc: ["'self'"],
        scriptSrc: ["'self'"],
        styleSrc: ["'self'"],
        imgSrc: ["'self'", 'data:'],
        formAction: ["'self'"],
        frameAncestors: ["'none'"],
        upgradeInsecureRequests: config.secureCookies ? [] : null,
      },
    },
    hsts: config.secureCookies,
  })
  await app.register(rateLimit, { global: false })
  await app.register(csrf, {
    sessionPlugin: '@fastify/cookie',
    cookieKey: cookieName(CSRF_COOKIE, config.secureCookies),
    cookieOpts: { path: '/', httpOnly: true, sameSite: 'lax', secure: config.secureCookies, signed: false },
  })
  await app.register(staticFiles, {
    root: [path.join(viewsDir, 'assets'), path.join(projectRoot, 'node_modules/@picocss/pico/css')],
    prefix: '/assets/',
    maxAge: config.env === 'production' ? '1d' : 0,
  })
  // The Chinese font shipped with the project, so print views look like the PDFs.
  await app.register(staticFiles, {
    root: path.join(projectRoot, 'node_modules/@fontsource/noto-sans-sc'),
    prefix: '/assets/fonts/',
    decorateReply: false,
    maxAge: '30d',
  })

  // Our shared plugins.
  await app.register(dbPlugin, { db: options.db })
  await app.register(i18nPlugin)
  await app.register(textSizeRoutes)
  await app.register(viewsPlugin, { cache: config.env === 'production' })
  await app.register(printingPlugin)
  await app.register(jobsPlugin, { enabled: config.env !== 'test' })
  await app.register(authPlugin, { secret: config.jwtSecret, idleHours: config.sessionIdleHours, maxHours: config.sessionMaxHours, secureCookies: config.secureCookies })
  await app.register(errorHandler)

  // Hooks: CSRF on every state-changing request, before its body is validated or used.
  app.addHook('preValidation', (request, reply, done) => {
    const checked = request.routeOptions.config.csrf
    // An upload's token is inside its multipart body, not read yet: its route checks it (after sign-in and role).
    const upload = checked === 'after-body' && String(request.headers['content-type'] ?? '').toLowerCase().startsWith('multipart/form-data')
    if (request.method === 'GET' || request.method === 'HEAD' || checked === false || upload) return done()
    app.csrfProtection(request, reply, done)
  })
  await app.register(layoutLocals)
  await app.register(recordedLinks)
  await app.register(exportSlots, { total: config.exportConcurrency })
  // Signed-in pages, CSVs and PDFs carry names and ID numbers: on a shared counter PC the back
  // button after logout must not show them from the browser's cache.
  app.addHook('onSend', async (request, reply, payload) => {
    if (request.actor && !isAssetUrl(request.url)) reply.header('cache-control', 'no-store')
    return payload
  })

  // Routes.
  await app.register(healthRoutes)
  if (config.benchFloors) await app.register(benchFloorRoutes)
  await app.register(accountRoutes)
  await app.register(homeRoutes)
  await app.register(userAdminRoutes)
  await app.register(orgRoutes)
  await app.register(calendarRoutes)
  await app.register(matterRoutes)
  await app.register(caseRoutes)
  await app.register(documentRoutes)
  await app.register(lookupRoutes)
  await app.register(feeRoutes)
  await app.register(ledgerRoutes)
  await app.register(visitRoutes)
  await app.register(applicantRoutes)
  await app.register(privacyRoutes)
  await app.register(boardRoutes)
  await app.register(notificationRoutes)
  await app.register(supervisionRoutes)
  await app.register(rectificationRoutes)
  await app.register(statsRoutes)
  await app.register(apiKeyRoutes)
  await app.register(importRoutes)
  await app.register(open311Routes, { prefix: '/open311' })
  await app.register(evaluationExportRoutes)
  await app.register(accessRoutes)

  return app
}

type ValidationContext = 'body' | 'querystring' | 'params'

declare module 'fastify' {
  interface FastifyRequest {
    /** Where a form route's submitted values hold a control character; merged into validationError after its schema ran. */
    controlCharactersAt?: { context: ValidationContext; at: string }[]
  }
  interface FastifyContextConfig {
    /**
     * Set false only for machine endpoints that take no cookies; 'after-body' for a file upload,
     * whose token comes inside its multipart body: for a multipart request the route checks it
     * itself, with the same plugin, as it reads the body and before it reads the file, after the
     * sign-in and role checks (imports/imports.routes.ts); any other request is checked here.
     */
    csrf?: boolean | 'after-body'
  }
}
