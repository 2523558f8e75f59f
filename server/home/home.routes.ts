import type { FastifyInstance } from 'fastify'
import type { JsonSchemaToTsProvider } from '@fastify/type-provider-json-schema-to-ts'
import { STAGES } from '../db/schema.ts'
import { scopeOf } from '../accounts/actor.ts'
import { loadCalendar } from '../calendar/calendar.repository.ts'
import { listOpenCases, OPEN_LIST_LIMIT } from '../cases/cases.repository.ts'
import { groupForAgent, withDue } from '../cases/worklist.ts'
import { listVillagesInScope, listWindows } from '../org/org.repository.ts'
import { listMatters } from '../matters/matters.repository.ts'
import { idFilter, toId } from '../views/forms.ts'
import { publicBaseUrlProblem } from '../config/config.ts'

const DUE_STATUSES = ['on_time', 'due_soon', 'overdue', 'very_overdue'] as const

/** Each role lands on its own home page: the worklist of what it has to do. */
export default async function homeRoutes(fastify: FastifyInstance) {
  const app = fastify.withTypeProvider<JsonSchemaToTsProvider>()
  app.get(
    '/',
    {
      schema: {
        querystring: {
          type: 'object',
          properties: { stage: { type: 'string', enum: ['', ...STAGES] }, villageId: idFilter, windowId: idFilter, matterId: idFilter, due: { type: 'string', enum: ['', ...DUE_STATUSES] } },
        },
      },
    },
    async (request, reply) => {
      const actor = request.actor!
      const place = request.signedIn!.place
      const view: Record<string, unknown> = { title: request.t(`home.${actor.role}.title`), place }
      // Only an administrator can fix the address printed QR codes lead to.
      if (actor.role === 'admin') Object.assign(view, { publicBaseUrlProblem: publicBaseUrlProblem(app.config), publicBaseUrl: app.config.publicBaseUrl })
      if (actor.role !== 'admin') {
        const today = app.today()
        const calendar = await loadCalendar(app.db, actor.countyId)
        const scope = scopeOf(actor)
        const open = async (filter: Parameters<typeof listOpenCases>[2] = {}) => {
          const rows = await listOpenCases(app.db, scope, filter)
          if (rows.length >= OPEN_LIST_LIMIT) view.truncated = OPEN_LIST_LIMIT
          return rows
        }
        if (actor.role === 'agent') {
          view.groups = groupForAgent(await open(), calendar, today)
        } else if (actor.role === 'clerk') {
          const rows = withDue(await open(), calendar, today)
          view.toReceive = rows.filter((r) => r.stage === 'forwarded')
          view.inProgress = rows.filter((r) => r.stage === 'in_progress')
        } else {
          const q = request.query
          const rows = withDue(
            await open({ stage: q.stage || undefined, villageId: toId(q.villageId) ?? undefined, windowId: toId(q.windowId) ?? undefined, matterId: toId(q.matterId) ?? undefined }),
            calendar,
            today,
          )
          view.rows = q.due ? rows.filter((r) => r.due?.status === q.due) : rows
          view.pendingExtensions = rows.filter((r) => r.pendingExtension)
          view.filter = q
          view.stages = STAGES
          view.dueStatuses = DUE_STATUSES
          view.villages = await listVillagesInScope(app.db, scope)
          view.windows = (await listWindows(app.db, actor.countyId)).filter((w) => scope.kind === 'county' || w.townId === actor.townId || w.townId === null)
          view.matters = await listMatters(app.db, actor.countyId)
        }
      }
      return reply.viewAsync(`home/${actor.role}.hbs`, view)
    },
  )
}
