import type { Db } from '../db/connect.ts'
import type { CaseFlags } from './case-rules.ts'
import { isOnTheSpot, WINDOW_STAGES } from './case-rules.ts'
import type { CaseView } from './cases.repository.ts'

export interface PostingState {
  due: boolean
  open: boolean
  periodOver: boolean
  objectionOpen: boolean
}
const NO_POSTING: PostingState = { due: false, open: false, periodOver: false, objectionOpen: false }

/** Where the case's public posting stands: open, its period over, objections unresolved, rounds left. */
export async function postingState(db: Db, c: Pick<CaseView, 'id' | 'postingRounds'>, today: string): Promise<PostingState> {
  if (c.postingRounds === 0) return NO_POSTING
  const [postings, objection] = await Promise.all([
    db.selectFrom('notices').select(['shownTo', 'postingClosedOn']).where('caseId', '=', c.id).where('kind', '=', 'posting').where('status', '=', 'published').execute(),
    db.selectFrom('postingObjections').select('id').where('caseId', '=', c.id).where('outcome', 'is', null).executeTakeFirst(),
  ])
  const open = postings.find((p) => p.postingClosedOn === null)
  const closedRounds = postings.filter((p) => p.postingClosedOn !== null).length
  return { due: closedRounds < c.postingRounds, open: Boolean(open), periodOver: Boolean(open && open.shownTo && today > open.shownTo), objectionOpen: Boolean(objection) }
}

/** A request for help still waiting: not answered and not withdrawn. */
export const isOpenAssist = (a: { answer: string | null; withdrawnAt: Date | null }) => a.answer === null && a.withdrawnAt === null

/** Facts of a loaded case that the state machine's guards read. */
export async function caseFlags(db: Db, c: CaseView, today: string): Promise<CaseFlags> {
  const [assist, extension, posting] = await Promise.all([
    db.selectFrom('caseAssists').select('id').where('caseId', '=', c.id).where('answer', 'is', null).where('withdrawnAt', 'is', null).executeTakeFirst(),
    db.selectFrom('caseExtensions').select('id').where('caseId', '=', c.id).where('status', '=', 'pending').executeTakeFirst(),
    postingState(db, c, today),
  ])
  return flagsOf(c, Boolean(assist), Boolean(extension), today, posting)
}

export function flagsOf(
  c: Pick<CaseView, 'caseType' | 'serviceForm' | 'extensionToTell' | 'pausedSince' | 'silenceConsent' | 'stage' | 'completeDue'>,
  openAssist: boolean,
  pendingExtension: boolean,
  today: string,
  posting: PostingState = NO_POSTING,
): CaseFlags {
  return {
    postingDue: posting.due,
    postingOpen: posting.open,
    postingPeriodOver: posting.periodOver,
    objectionOpen: posting.objectionOpen,
    onTheSpot: isOnTheSpot(c.caseType, c.serviceForm),
    openAssist,
    pendingExtension,
    extensionToTell: c.extensionToTell,
    paused: c.pausedSince !== null,
    deemedApprovalDue: c.silenceConsent && WINDOW_STAGES.includes(c.stage) && c.completeDue !== null && today > c.completeDue && !c.pausedSince,
  }
}
