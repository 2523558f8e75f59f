import type { MatterVersion, Stage } from '../db/schema.ts'

/** Stages in which a case is still being dealt with (its clock may run). */
export const OPEN_STAGES: readonly Stage[] = ['registered', 'awaiting_materials', 'accepted', 'forwarded', 'in_progress', 'completed']
export const FINAL_STAGES: readonly Stage[] = ['rejected', 'closed', 'withdrawn']
/** Open stages whose clock the deadline sweep watches (awaiting materials waits on the applicant). */
export const SWEPT_STAGES: readonly Stage[] = OPEN_STAGES.filter((s) => s !== 'awaiting_materials')
/** The stages in which the town's window holds the case (its handling clock is running). */
export const WINDOW_STAGES: readonly Stage[] = ['forwarded', 'in_progress']
/** Working days a window gives the station to answer a request for help, unless it sets its own. */
export const ASSIST_DAYS = 2

/** 即办: the matter is on-the-spot, or this case is served on the spot; the agent completes it, never forwards it. */
export function isOnTheSpot(caseType: string, serviceForm: string): boolean {
  return caseType === 'on_the_spot' || serviceForm === 'on_the_spot'
}

/** Who holds a case in a stage: the window while it handles it, otherwise the station's agent. */
export function holderOf(stage: Stage): 'window' | 'agent' {
  return WINDOW_STAGES.includes(stage) ? 'window' : 'agent'
}

/** Facts about a case that some actions depend on. */
export interface CaseFlags {
  /** 即办件 or 即办 service form: handled by the agent, never forwarded. */
  onTheSpot: boolean
  openAssist: boolean
  pendingExtension: boolean
  extensionToTell: boolean
  paused: boolean
  /** A silence-is-consent matter whose completion limit has passed without a decision. */
  deemedApprovalDue: boolean
  /** The matter requires public posting (张榜公示) and rounds remain. */
  postingDue: boolean
  /** A posting of this case is on the board and not yet closed. */
  postingOpen: boolean
  /** The open posting's period has ended. */
  postingPeriodOver: boolean
  objectionOpen: boolean
}

export const NO_FLAGS: CaseFlags = {
  onTheSpot: false, openAssist: false, pendingExtension: false, extensionToTell: false, paused: false, deemedApprovalDue: false,
  postingDue: false, postingOpen: false, postingPeriodOver: false, objectionOpen: false,
}

/** The stage a case lands in after intake: all required materials present → accepted. */
export function intakeStage(missingRequired: number, decision: 'decide' | 'register'): Stage {
  if (decision === 'register') return 'registered'
  return missingRequired === 0 ? 'accepted' : 'awaiting_materials'
}

/** JP01-20261124-007: station code, local date, the day's sequence — readable and sortable. */
export function formatCaseNo(villageCode: string, localDate: string, seq: number): string {
  return `${villageCode}-${localDate.replaceAll('-', '')}-${String(seq).padStart(3, '0')}`
}

export const CASE_NO_PATTERN = '^[0-9A-Za-z]{2,12}-[0-9]{8}-[0-9]{3,6}$'

/** The required materials not ticked as received: the one-time notice lists all of them at once. */
export function missingMaterials(mv: Pick<MatterVersion, 'materials'>, received: readonly string[]): string[] {
  return mv.materials.filter((m) => m.required && !received.includes(m.name)).map((m) => m.name)
}
