import type { Db } from '../db/connect.ts'
import { notify, supervisorIdsOf } from '../notifications/notifications.service.ts'
import { openRectification } from '../ratings/rectifications.service.ts'
import { enqueueCaseSms } from '../sms/outbox.ts'
import { queueRatingPush } from '../ratings/rating-push.ts'
import type { Effect, PlanContext, Recipients } from './actions/action.ts'
import type { CaseView } from './cases.repository.ts'

/** The alert of this deadline and level is already written (another run of the sweep won the race). */
export class AlreadyRecorded extends Error {
  constructor() {
    super('already recorded')
    this.name = 'AlreadyRecorded'
  }
}

/** Looked-up recipients, kept for a whole run of a job so each window and town is read once. */
export type RecipientMemo = Map<string, Promise<number[]>>

function recipientsOf(trx: Db, c: CaseView, who: Recipients, memo: RecipientMemo, windowId = c.windowId): Promise<number[]> {
  const once = (key: string, load: () => Promise<number[]>) => memo.get(key) ?? memo.set(key, load()).get(key)!
  switch (who) {
    case 'agent':
      return Promise.resolve([c.agentId])
    case 'window':
      if (windowId === null) return Promise.resolve([])
      return once(`window:${windowId}`, async () =>
        (await trx.selectFrom('users').select('id').where('windowId', '=', windowId).where('disabled', '=', false).execute()).map((u) => u.id),
      )
    case 'supervisors':
      // The town's supervisors and the county's (a supervisor without a town).
      return once(`town:${c.countyId}:${c.townId}`, () => supervisorIdsOf(trx, c.countyId, c.townId))
  }
}

/** Writes what a step's plan asks for besides the case row, inside the step's transaction. */
export async function runEffect(trx: Db, c: CaseView, effect: Effect, ctx: PlanContext, memo: RecipientMemo): Promise<void> {
  const { actor, now, today } = ctx
  switch (effect.kind) {
    case 'askAssist':
      await trx.insertInto('caseAssists').values({ caseId: c.id, question: effect.question, dueOn: effect.dueOn, askedBy: actor.id! }).execute()
      return
    case 'answerAssist':
      await trx.updateTable('caseAssists').set({ answer: effect.answer, answeredBy: actor.id, answeredAt: now }).where('caseId', '=', c.id).where('answer', 'is', null).where('withdrawnAt', 'is', null).execute()
      return
    case 'withdrawAssist':
      await trx.updateTable('caseAssists').set({ withdrawnAt: now }).where('caseId', '=', c.id).where('answer', 'is', null).where('withdrawnAt', 'is', null).execute()
      return
    case 'requestExtension':
      await trx.insertInto('caseExtensions').values({ caseId: c.id, reason: effect.reason, oldDue: effect.oldDue, newDue: effect.newDue, requestedBy: actor.id! }).execute()
      return
    case 'decideExtension':
      await trx.updateTable('caseExtensions').set({ status: effect.status, decidedBy: actor.id, decidedAt: now, decisionNote: effect.note }).where('id', '=', effect.extensionId).execute()
      return
    case 'publishPosting':
      await trx
        .insertInto('notices')
        .values({
          countyId: c.countyId, townId: c.townId, villageId: c.villageId, kind: 'posting', title: effect.title, content: JSON.stringify(effect.content),
          shownFrom: effect.shownFrom, shownTo: effect.shownTo, status: 'published', caseId: c.id, round: effect.round, createdBy: actor.id!, publishedAt: now,
        })
        .execute()
      return
    case 'recordObjection':
      await trx.insertInto('postingObjections').values({ noticeId: effect.noticeId, caseId: c.id, receivedOn: today, content: effect.content, recordedBy: actor.id! }).execute()
      return
    case 'resolveObjection':
      await trx.updateTable('postingObjections').set({ outcome: effect.outcome, resolvedOn: today, resolvedBy: actor.id }).where('caseId', '=', c.id).where('outcome', 'is', null).execute()
      return
    case 'closePosting':
      await trx.updateTable('notices').set({ postingClosedOn: today }).where('caseId', '=', c.id).where('kind', '=', 'posting').where('status', '=', 'published').where('postingClosedOn', 'is', null).execute()
      return
    case 'recordRating':
      await trx.insertInto('caseRatings').values({ caseId: c.id, countyId: c.countyId, ...effect.rating, recordedBy: actor.id, recordedAt: now, byDefault: effect.byDefault }).execute()
      await queueRatingPush(trx, { caseId: c.id, countyId: c.countyId }, now)
      return
    case 'openRectification':
      await openRectification(trx, c, effect.rating, effect.comment, ctx.calendar, today, ctx.settings.rectificationDays)
      return
    case 'recordAlert': {
      const inserted = await trx
        .insertInto('caseAlerts')
        .values({ caseId: c.id, dueKind: effect.dueKind, dueOn: effect.dueOn, level: effect.level })
        .onConflict((oc) => oc.doNothing())
        .returning('caseId')
        .executeTakeFirst()
      if (!inserted) throw new AlreadyRecorded()
      return
    }
    case 'text':
      await enqueueCaseSms(trx, c.id, effect.template, effect.params, now)
      return
    case 'notify': {
      const ids = new Set((await Promise.all(effect.to.map((who) => recipientsOf(trx, c, who, memo, effect.windowId)))).flat())
      await notify(trx, [...ids], { countyId: c.countyId, kind: effect.message, caseId: c.id, params: effect.params, at: now })
      return
    }
  }
}
