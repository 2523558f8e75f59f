import type { Role, Stage } from '../db/schema.ts'

/**
 * The life of a case as a table: which action moves which stage, for which role.
 * Routes show only the actions this returns; the service refuses anything else.
 */
export const ACTIONS = [
  'accept', 'supplement', 'reject', 'forward', 'receive', 'transfer', 'ask_assist', 'answer_assist',
  'request_extension', 'decide_extension', 'tell_extension', 'pause', 'resume', 'complete', 'record_deemed',
  'reply', 'rate', 'follow_up', 'withdraw', 'start_posting', 'record_objection', 'resolve_objection', 'close_posting',
] as const
export type Action = (typeof ACTIONS)[number]

export const OPEN_STAGES: readonly Stage[] = ['registered', 'awaiting_materials', 'accepted', 'forwarded', 'in_progress', 'completed']
export const FINAL_STAGES: readonly Stage[] = ['rejected', 'closed', 'withdrawn']
/** Open stages whose clock the deadline sweep watches (awaiting materials waits on the applicant). */
export const SWEPT_STAGES: readonly Stage[] = OPEN_STAGES.filter((s) => s !== 'awaiting_materials')
/** The stages in which the town's window holds the case (its handling clock is running). */
export const WINDOW_STAGES: readonly Stage[] = ['forwarded', 'in_progress']

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

interface Rule {
  from: readonly Stage[]
  roles: readonly Role[]
  when?: (flags: CaseFlags) => boolean
}

const WITHDRAWABLE: readonly Stage[] = ['registered', 'awaiting_materials', 'accepted', 'forwarded', 'in_progress']

export const TRANSITIONS: Record<Action, Rule> = {
  accept: { from: ['registered'], roles: ['agent'] },
  supplement: { from: ['awaiting_materials'], roles: ['agent'] },
  reject: { from: ['registered', 'awaiting_materials'], roles: ['agent'] },
  forward: { from: ['accepted'], roles: ['agent'], when: (f) => !f.onTheSpot },
  receive: { from: ['forwarded'], roles: ['clerk'] },
  transfer: { from: ['forwarded', 'in_progress'], roles: ['clerk'], when: (f) => !f.pendingExtension },
  ask_assist: { from: ['in_progress'], roles: ['clerk'], when: (f) => !f.openAssist },
  answer_assist: { from: ['in_progress'], roles: ['agent'], when: (f) => f.openAssist },
  request_extension: { from: ['in_progress'], roles: ['clerk'], when: (f) => !f.pendingExtension && !f.paused },
  decide_extension: { from: ['in_progress'], roles: ['supervisor'], when: (f) => f.pendingExtension },
  tell_extension: { from: ['forwarded', 'in_progress', 'completed'], roles: ['agent'], when: (f) => f.extensionToTell },
  pause: { from: ['in_progress'], roles: ['clerk'], when: (f) => !f.paused },
  // The posting stops the clock; only closing the posting restarts it.
  resume: { from: ['in_progress'], roles: ['clerk'], when: (f) => f.paused && !f.postingOpen },
  complete: { from: ['accepted', 'in_progress'], roles: ['agent', 'clerk'] },
  record_deemed: { from: ['forwarded', 'in_progress'], roles: ['agent'], when: (f) => f.deemedApprovalDue && !f.postingOpen && !f.objectionOpen },
  reply: { from: ['completed'], roles: ['agent'] },
  rate: { from: ['replied'], roles: ['agent'] },
  follow_up: { from: ['replied', 'closed'], roles: ['agent'] },
  withdraw: { from: WITHDRAWABLE, roles: ['agent'] },
  start_posting: { from: ['forwarded', 'in_progress'], roles: ['agent'], when: (f) => f.postingDue && !f.postingOpen },
  record_objection: { from: ['forwarded', 'in_progress'], roles: ['agent'], when: (f) => f.postingOpen },
  resolve_objection: { from: ['forwarded', 'in_progress'], roles: ['agent'], when: (f) => f.objectionOpen },
  close_posting: { from: ['forwarded', 'in_progress'], roles: ['agent'], when: (f) => f.postingOpen && f.postingPeriodOver && !f.objectionOpen },
}

/** Completion is the window's in handling, the agent's only for on-the-spot cases. */
function completeAllowed(stage: Stage, role: Role, flags: CaseFlags): boolean {
  if (stage === 'accepted') return role === 'agent' && flags.onTheSpot
  // Never while a posting runs or an objection is unresolved (the posting also stops the clock).
  return role === 'clerk' && !flags.paused && !flags.pendingExtension && !flags.postingOpen && !flags.objectionOpen
}

export function isAllowed(action: Action, stage: Stage, role: Role, flags: CaseFlags = NO_FLAGS): boolean {
  const rule = TRANSITIONS[action]
  if (!rule.from.includes(stage) || !rule.roles.includes(role)) return false
  if (action === 'complete') return completeAllowed(stage, role, flags)
  return rule.when ? rule.when(flags) : true
}

export function allowedActions(stage: Stage, role: Role, flags: CaseFlags = NO_FLAGS): Action[] {
  return ACTIONS.filter((a) => isAllowed(a, stage, role, flags))
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
