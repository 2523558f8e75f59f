import type { FastifyInstance } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { logIn } from './login.service.ts'
import { changePassword } from './users.service.ts'
import { fieldErrorsFromValidation, fieldErrorsFromRule } from '../views/form-errors.ts'
import { RuleViolation } from '../errors/errors.ts'
import { safeNext } from '../i18n/plugin.ts'
import { sentValues } from '../views/forms.ts'
import { cookieName, CSRF_COOKIE } from './auth.plugin.ts'

const loginBody = {
  type: 'object',
  required: ['username', 'password'],
  properties: {
    username: { type: 'string', minLength: 1, maxLength: 64 },
    password: { type: 'string', minLength: 1, maxLength: 200 },
    next: { type: 'string', maxLength: 500 },
  },
} as const

const passwordBody = {
  type: 'object',
  required: ['current', 'password', 'confirm'],
  properties: {
    current: { type: 'string', minLength: 1, maxLength: 200 },
    password: { type: 'string', minLength: 1, maxLength: 200 },
    confirm: { type: 'string', minLength: 1, maxLength: 200 },
  },
} as const

export default async function accountRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  app.get(
    '/login',
    { config: { public: true }, schema: { querystring: { type: 'object', properties: { next: { type: 'string', maxLength: 500 } } } } },
    async (request, reply) => {
      if (request.actor) return reply.redirect('/', 303)
      const { next } = request.query
      return reply.viewAsync('accounts/login.hbs', { title: request.t('login.title'), values: { next: safeNext(next) } })
    },
  )

  app.post(
    '/login',
    {
      config: { public: true, rateLimit: { max: app.config.loginRateLimitPerMinute, timeWindow: '1 minute' } },
      schema: { body: loginBody },
      attachValidation: true,
    },
    async (request, reply) => {
      if (request.validationError) {
        const sent = sentValues(request.body)
        return reply.code(400).viewAsync('accounts/login.hbs', {
          title: request.t('login.title'),
          values: { username: sent.username, next: safeNext(sent.next) },
          errors: fieldErrorsFromValidation(request.validationError.validation, request.t),
        })
      }
      const body = request.body
      const values = { username: body.username, next: safeNext(body.next) }
      const result = await logIn(app.db, body.username, body.password, request.ip, app.now())
      if (!result.ok) {
        const message = request.t(`login.${result.reason}`)
        return reply.code(401).viewAsync('accounts/login.hbs', { title: request.t('login.title'), values, errors: { _form: message } })
      }
      await reply.startSession(result.userId, result.tokenVersion)
      // A new CSRF secret with the new session: a token seen before login (on a shared PC, or
      // planted in the cookie) is worth nothing after it.
      delete request.cookies[cookieName(CSRF_COOKIE, app.config.secureCookies)]
      reply.generateCsrf()
      return reply.redirect(values.next, 303)
    },
  )

  // Logout raises the token version, so every copy of the old cookie stops working too.
  app.post('/logout', async (request, reply) => {
    await app.db
      .updateTable('users')
      .set((eb) => ({ tokenVersion: eb('tokenVersion', '+', 1) }))
      .where('id', '=', request.actor!.id)
      .execute()
    reply.endSession()
    return reply.redirect('/login', 303)
  })

  app.get('/account/password', async (request, reply) => {
    return reply.viewAsync('accounts/password.hbs', { title: request.t('password.title'), done: false })
  })

  // Limited per address like the login; the current password is checked under the login's back-off.
  app.post('/account/password', { config: { rateLimit: { max: app.config.loginRateLimitPerMinute, timeWindow: '1 minute' } }, schema: { body: passwordBody }, attachValidation: true }, async (request, reply) => {
    const render = (status: number, errors: Record<string, string>) =>
      reply.code(status).viewAsync('accounts/password.hbs', { title: request.t('password.title'), errors })
    if (request.validationError) return render(400, fieldErrorsFromValidation(request.validationError.validation, request.t))
    const body = request.body
    try {
      const tokenVersion = await changePassword(app.db, request.actor!, body.current, body.password, body.confirm, request.ip, app.now())
      // The password change ends every other session; this one continues with the new version.
      await reply.startSession(request.actor!.id, tokenVersion)
      return reply.viewAsync('accounts/password.hbs', { title: request.t('password.title'), done: true })
    } catch (error) {
      if (error instanceof RuleViolation) return render(400, fieldErrorsFromRule(error, request.t))
      throw error
    }
  })
}
