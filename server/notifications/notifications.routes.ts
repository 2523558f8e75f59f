import type { FastifyInstance } from 'fastify'
import { messageLink } from './notifications.service.ts'

/** The in-app inbox: newest first; opening it marks everything read. */
export default async function notificationRoutes(app: FastifyInstance) {
  app.get('/inbox', async (request, reply) => {
    const actor = request.actor!
    const items = await app.db
      .selectFrom('notifications')
      .leftJoin('cases', 'cases.id', 'notifications.caseId')
      .select(['notifications.id', 'notifications.kind', 'notifications.caseId', 'notifications.params', 'notifications.createdAt', 'notifications.readAt'])
      .where('notifications.userId', '=', actor.id)
      .orderBy('notifications.id', 'desc')
      .limit(200)
      .execute()
    const view = items.map((n) => ({ ...n, href: messageLink(n), text: request.t(`notifications.kinds.${n.kind}`, { ...n.params, dueKind: request.t(`due.kind.${(n.params as { dueKind?: string }).dueKind ?? ''}`) }) }))
    const response = await reply.viewAsync('notifications/inbox.hbs', { title: request.t('notifications.title'), items: view })
    await app.db.updateTable('notifications').set({ readAt: app.now() }).where('userId', '=', actor.id).where('readAt', 'is', null).execute()
    return response
  })
}
