import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { DEPARTMENTS } from '../db/schema.ts'
import { NotFound } from '../errors/errors.ts'
import { submitForm, text, requiredText, phone, code, id, idParams, optionalId, toId, sentValues } from '../views/forms.ts'
import type { FieldErrors } from '../views/form-errors.ts'
import { scopeOf } from '../accounts/actor.ts'
import { findVillageInScope, listStationAgents, listTowns, listVillagesInScope, listWindows, findCounty } from './org.repository.ts'
import { createTown, createVillage, createWindow, updateTown, updateVillage, updateWindow } from './org.service.ts'

/** 12-digit administrative division code (统计用区划代码); empty until the administrator has it. */
const divisionCode = { type: 'string', maxLength: 40, pattern: '^\\s*([0-9]{12})?\\s*$', hint: 'org.divisionCodeFormat' } as const
/** The implementing department's code on the provincial platform; empty until known. */
const departmentCode = { type: 'string', maxLength: 40, pattern: '^\\s*([0-9A-Za-z-]{2,32})?\\s*$', hint: 'org.departmentCodeFormat' } as const

const townBody = {
  type: 'object',
  required: ['code', 'name'],
  properties: { code, name: requiredText(50), phone, address: text(200), divisionCode },
} as const
const villageBody = {
  type: 'object',
  required: ['townId', 'code', 'name'],
  properties: { townId: id, code, name: requiredText(50), stationPhone: phone, officeHours: text(200), address: text(200), divisionCode },
} as const
const windowBody = {
  type: 'object',
  required: ['department', 'name'],
  properties: { townId: optionalId, department: { type: 'string', enum: DEPARTMENTS }, name: requiredText(50), phone, departmentCode, active: { type: 'string', maxLength: 5 } },
} as const

type Form = Record<string, unknown>
const trimmed = (value: string | undefined) => (value ?? '').trim()

export default async function orgRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  const admin = { roles: ['admin'] as const }

  async function renderTree(request: FastifyRequest, reply: FastifyReply, status = 200, form?: { kind: string; values: Form; errors: FieldErrors }) {
    const actor = request.actor!
    const [county, towns, villages, windows] = await Promise.all([
      findCounty(app.db, actor.countyId),
      listTowns(app.db, actor.countyId),
      listVillagesInScope(app.db, scopeOf(actor)),
      listWindows(app.db, actor.countyId),
    ])
    const tree = towns.map((town) => ({
      ...town,
      villages: villages.filter((v) => v.townId === town.id),
      windows: windows.filter((w) => w.townId === town.id),
    }))
    return reply.code(status).viewAsync('org/tree.hbs', {
      title: request.t('org.title'),
      county,
      tree,
      towns,
      countyWindows: windows.filter((w) => w.townId === null),
      departments: DEPARTMENTS,
      form: form ?? { kind: '', values: {}, errors: {} },
    })
  }

  app.get('/admin/org', { config: admin }, async (request, reply) => renderTree(request, reply))

  app.post('/admin/org/towns', { config: admin, schema: { body: townBody }, attachValidation: true }, async (request, reply) =>
    submitForm(request, reply, {
      render: (status, errors) => renderTree(request, reply, status, { kind: 'town', values: sentValues(request.body), errors }),
      action: () => {
        const body = request.body
        return createTown(app.db, request.actor!, { code: body.code.trim().toUpperCase(), name: body.name.trim(), phone: trimmed(body.phone), address: trimmed(body.address), divisionCode: trimmed(body.divisionCode) })
      },
      done: () => reply.redirect('/admin/org', 303),
    }),
  )

  app.post('/admin/org/villages', { config: admin, schema: { body: villageBody }, attachValidation: true }, async (request, reply) =>
    submitForm(request, reply, {
      render: (status, errors) => renderTree(request, reply, status, { kind: 'village', values: sentValues(request.body), errors }),
      action: () => {
        const body = request.body
        return createVillage(app.db, request.actor!, {
          townId: body.townId,
          // Codes are upper-case: they start every case number of the station.
          code: body.code.trim().toUpperCase(),
          name: body.name.trim(),
          stationPhone: trimmed(body.stationPhone),
          officeHours: trimmed(body.officeHours),
          address: trimmed(body.address),
          divisionCode: trimmed(body.divisionCode),
        })
      },
      done: () => reply.redirect('/admin/org', 303),
    }),
  )

  app.post('/admin/org/windows', { config: admin, schema: { body: windowBody }, attachValidation: true }, async (request, reply) =>
    submitForm(request, reply, {
      render: (status, errors) => renderTree(request, reply, status, { kind: 'window', values: sentValues(request.body), errors }),
      action: () => {
        const body = request.body
        return createWindow(app.db, request.actor!, { townId: toId(body.townId) ?? '', department: body.department, name: body.name.trim(), phone: trimmed(body.phone), departmentCode: trimmed(body.departmentCode).toUpperCase() })
      },
      done: () => reply.redirect('/admin/org', 303),
    }),
  )

  // Edit pages: one per kind of place, the same form shape.
  const renderEdit = async (request: FastifyRequest, reply: FastifyReply, kind: string, status: number, placeId: number, values: Form, errors: FieldErrors) =>
    reply.code(status).viewAsync('org/edit.hbs', {
      title: request.t(`org.edit.${kind}`),
      kind,
      placeId,
      values,
      errors,
      departments: DEPARTMENTS,
    })

  for (const editor of [{ kind: 'town', table: 'towns' }, { kind: 'village', table: 'villages' }, { kind: 'window', table: 'windows' }] as const) {
    app.get(`/admin/org/${editor.kind}s/:id/edit`, { config: admin, schema: { params: idParams } }, async (request, reply) => {
      const placeId = request.params.id
      const row = await app.db
        .selectFrom(editor.table)
        .selectAll()
        .where('id', '=', placeId)
        .where('countyId', '=', request.actor!.countyId)
        .executeTakeFirst()
      if (!row) throw new NotFound()
      const values = Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'boolean' ? (v ? 'on' : '') : String(v ?? '')]))
      return renderEdit(request, reply, editor.kind, 200, placeId, values, {})
    })
  }

  const editTownBody = { ...townBody, required: ['name'] } as const
  app.post('/admin/org/towns/:id', { config: admin, schema: { params: idParams, body: editTownBody }, attachValidation: true }, async (request, reply) =>
    submitForm(request, reply, {
      render: (status, errors) => renderEdit(request, reply, 'town', status, request.params.id, sentValues(request.body), errors),
      action: () => {
        const body = request.body
        return updateTown(app.db, request.actor!, request.params.id, { name: body.name.trim(), phone: trimmed(body.phone), address: trimmed(body.address), divisionCode: trimmed(body.divisionCode) })
      },
      done: () => reply.redirect('/admin/org', 303),
    }),
  )

  const editVillageBody = { ...villageBody, required: ['name'] } as const
  app.post('/admin/org/villages/:id', { config: admin, schema: { params: idParams, body: editVillageBody }, attachValidation: true }, async (request, reply) =>
    submitForm(request, reply, {
      render: (status, errors) => renderEdit(request, reply, 'village', status, request.params.id, sentValues(request.body), errors),
      action: () => {
        const body = request.body
        return updateVillage(app.db, request.actor!, request.params.id, {
          name: body.name.trim(),
          stationPhone: trimmed(body.stationPhone),
          officeHours: trimmed(body.officeHours),
          address: trimmed(body.address),
          divisionCode: trimmed(body.divisionCode),
        })
      },
      done: () => reply.redirect('/admin/org', 303),
    }),
  )

  app.post('/admin/org/windows/:id', { config: admin, schema: { params: idParams, body: windowBody }, attachValidation: true }, async (request, reply) =>
    submitForm(request, reply, {
      render: (status, errors) => renderEdit(request, reply, 'window', status, request.params.id, sentValues(request.body), errors),
      action: () => {
        const body = request.body
        return updateWindow(app.db, request.actor!, request.params.id, { department: body.department, name: body.name.trim(), phone: trimmed(body.phone), departmentCode: trimmed(body.departmentCode).toUpperCase(), active: body.active === 'on' })
      },
      done: () => reply.redirect('/admin/org', 303),
    }),
  )

  // Stations in the actor's jurisdiction.
  app.get('/villages', { config: { roles: ['supervisor', 'admin', 'clerk'] } }, async (request, reply) => {
    const villages = await listVillagesInScope(app.db, scopeOf(request.actor!))
    return reply.viewAsync('org/villages.hbs', { title: request.t('villages.title'), villages })
  })

  app.get('/villages/:id', { schema: { params: idParams } }, async (request, reply) => {
    const village = await findVillageInScope(app.db, scopeOf(request.actor!), request.params.id)
    if (!village) throw new NotFound()
    const agents = await listStationAgents(app.db, village.id)
    return reply.viewAsync('org/village.hbs', { title: village.name, village, agents })
  })
}
