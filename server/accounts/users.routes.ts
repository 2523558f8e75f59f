import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import type { FromSchema } from 'json-schema-to-ts'
import { ROLES } from '../db/schema.ts'
import { NotFound } from '../errors/errors.ts'
import { submitForm, text, requiredText, phone, optionalId, idParams, toId, sentValues } from '../views/forms.ts'
import type { FieldErrors } from '../views/form-errors.ts'
import { createUser, editUser, setUserDisabled, type UserInput } from './users.service.ts'
import { listTowns, listVillagesInScope, listWindows } from '../org/org.repository.ts'
import { scopeOf } from './actor.ts'

const userFields = {
  displayName: requiredText(50),
  phone,
  role: { type: 'string', enum: ROLES },
  post: { type: 'string', enum: ['', 'A', 'B'] },
  villageId: optionalId,
  windowId: optionalId,
  townId: optionalId,
  password: text(200),
} as const

const createBody = {
  type: 'object',
  required: ['username', 'displayName', 'role', 'password'],
  properties: { ...userFields, username: requiredText(32) },
} as const
const editBody = { type: 'object', required: ['displayName', 'role'], properties: userFields } as const

type UserForm = Record<string, unknown>

function toInput(body: FromSchema<typeof editBody> & { username?: string }): UserInput {
  return {
    username: body.username,
    displayName: body.displayName,
    phone: body.phone ?? '',
    role: body.role,
    post: body.post ?? '',
    villageId: toId(body.villageId) ?? '',
    windowId: toId(body.windowId) ?? '',
    townId: toId(body.townId) ?? '',
    password: body.password || undefined,
  }
}

export default async function userAdminRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const admin = { roles: ['admin'] as const }

  async function choices(request: FastifyRequest) {
    const actor = request.actor!
    const [towns, villages, windows] = await Promise.all([
      listTowns(app.db, actor.countyId),
      listVillagesInScope(app.db, scopeOf(actor)),
      listWindows(app.db, actor.countyId),
    ])
    return { towns, villages, windows, roles: ROLES }
  }

  async function renderForm(request: FastifyRequest, reply: FastifyReply, status: number, values: UserForm, errors: FieldErrors, userId?: number) {
    const { password: _password, ...kept } = values
    return reply.code(status).viewAsync('accounts/user-form.hbs', {
      title: request.t(userId ? 'users.editTitle' : 'users.newTitle'),
      values: kept,
      errors,
      userId,
      ...(await choices(request)),
    })
  }

  app.get('/admin/users', { config: admin }, async (request, reply) => {
    const users = await app.db
      .selectFrom('users')
      .leftJoin('villages', 'villages.id', 'users.villageId')
      .leftJoin('windows', 'windows.id', 'users.windowId')
      .leftJoin('towns', 'towns.id', 'users.townId')
      .select([
        'users.id',
        'users.username',
        'users.displayName',
        'users.role',
        'users.post',
        'users.disabled',
        'users.lockedUntil',
        'villages.name as villageName',
        'windows.name as windowName',
        'towns.name as townName',
      ])
      .where('users.countyId', '=', request.actor!.countyId)
      .orderBy('users.role')
      .orderBy('users.username')
      .execute()
    return reply.viewAsync('accounts/users.hbs', { title: request.t('users.title'), users })
  })

  app.get('/admin/users/new', { config: admin }, async (request, reply) => renderForm(request, reply, 200, { role: 'agent', post: 'A' }, {}))

  app.post('/admin/users', { config: admin, schema: { body: createBody }, attachValidation: true }, async (request, reply) => {
    return submitForm(request, reply, {
      render: (status, errors) => renderForm(request, reply, status, sentValues(request.body), errors),
      action: () => createUser(app.db, request.actor!, request.actor!.countyId, toInput(request.body)),
      done: () => reply.redirect('/admin/users', 303),
    })
  })

  app.get('/admin/users/:id/edit', { config: admin, schema: { params: idParams } }, async (request, reply) => {
    const { id } = request.params
    const user = await app.db.selectFrom('users').selectAll().where('id', '=', id).where('countyId', '=', request.actor!.countyId).executeTakeFirst()
    if (!user) throw new NotFound()
    const values: UserForm = {
      username: user.username,
      displayName: user.displayName,
      phone: user.phone,
      role: user.role,
      post: user.post ?? '',
      villageId: String(user.villageId ?? ''),
      windowId: String(user.windowId ?? ''),
      townId: String(user.townId ?? ''),
    }
    return renderForm(request, reply, 200, values, {}, id)
  })

  app.post('/admin/users/:id', { config: admin, schema: { params: idParams, body: editBody }, attachValidation: true }, async (request, reply) => {
    const { id } = request.params
    return submitForm(request, reply, {
      render: (status, errors) => renderForm(request, reply, status, sentValues(request.body), errors, id),
      action: () => editUser(app.db, request.actor!, id, toInput(request.body), app.now()),
      done: () => reply.redirect('/admin/users', 303),
    })
  })

  for (const [path, disabled] of [['disable', true], ['enable', false]] as const) {
    app.post(`/admin/users/:id/${path}`, { config: admin, schema: { params: idParams } }, async (request, reply) => {
      await setUserDisabled(app.db, request.actor!, request.params.id, disabled, app.now())
      return reply.redirect('/admin/users', 303)
    })
  }
}
