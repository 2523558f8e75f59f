import { sql } from 'kysely'
import { openIdNumber } from '../privacy/id-vault.ts'
import type { Db } from '../db/connect.ts'
import type { Scope } from '../accounts/actor.ts'
import { inScope } from '../accounts/scope.ts'
import { RATINGS, type Rating, type RectificationStatus, type Stage } from '../db/schema.ts'
import type { Translate } from '../i18n/i18n.ts'
import { windowLabel } from '../org/window-label.ts'
import { monthBounds } from '../supervision/months.ts'
import { formatIsoDateTime } from '../calendar/local-time.ts'

/**
 * The provincial 好差评 record of one rating, in the order the platforms take it, with stable
 * snake_case names. One builder: the monthly CSV and JSON exports and the push all use it.
 *
 * The implementing department is the window that handled the case; for a case the station handled
 * on the spot, the window it acted for (its town's, else the county centre's, of the matter's department).
 *
 * Service time (服务时间) is when the applicant was given the result: the reply (答复) step; a case
 * without one (imported history) counts from its completion (办结). A rating is of a service already
 * given, so its time is never before the service time: a stored time that is (a clock set wrong on
 * a station PC, a back-dated entry) is reported as the service time, and `rating_time_note` says so.
 */
export interface EvaluationRecord {
  case_no: string
  matter_code: string
  matter_version: number
  matter_name: string
  department_name: string
  department_code: string
  division_code: string
  applicant_type: 'natural_person'
  applicant_name: string
  applicant_id_type: 'resident_id_card'
  applicant_id_number: string
  applicant_phone: string
  agent_name: string
  channel: string
  stage_at_rating: Stage | ''
  /** 5 非常满意 … 1 非常不满意, as the indicators count (5 best). */
  grade: number
  grade_name: Rating
  efficiency: number
  competence: number
  attitude: number
  satisfaction: number
  comment: string
  service_time: string
  rating_time: string
  rating_time_note: string
  by_default: boolean
  rectification_status: RectificationStatus | ''
  rectification_fixed: string
}

export const EVALUATION_FIELDS = [
  'case_no', 'matter_code', 'matter_version', 'matter_name', 'department_name', 'department_code', 'division_code',
  'applicant_type', 'applicant_name', 'applicant_id_type', 'applicant_id_number', 'applicant_phone', 'agent_name', 'channel', 'stage_at_rating',
  'grade', 'grade_name', 'efficiency', 'competence', 'attitude', 'satisfaction', 'comment',
  'service_time', 'rating_time', 'rating_time_note', 'by_default', 'rectification_status', 'rectification_fixed',
] as const satisfies readonly (keyof EvaluationRecord)[]

/** 非常满意 5 … 非常不满意 1. */
export function gradeOf(rating: Rating): number {
  return RATINGS.length - RATINGS.indexOf(rating)
}

export type EvaluationFilter = { scope: Scope; month: string } | { caseId: string }

function evaluationRows(db: Db, filter: EvaluationFilter, timeZone: string) {
  let q = db
    .selectFrom('caseRatings as r')
    .innerJoin('cases as c', 'c.id', 'r.caseId')
    .innerJoin('matterVersions as mv', 'mv.id', 'c.matterVersionId')
    .innerJoin('matters as m', 'm.id', 'c.matterId')
    .innerJoin('applicants as a', 'a.id', 'c.applicantId')
    .innerJoin('villages as v', 'v.id', 'c.villageId')
    .innerJoin('towns as t', 't.id', 'c.townId')
    .innerJoin('users as ag', 'ag.id', 'c.agentId')
    .leftJoin('windows as w', 'w.id', 'c.windowId')
    .leftJoin('towns as wt', 'wt.id', 'w.townId')
    .leftJoin('rectifications as rc', 'rc.caseId', 'c.id')
    // A case the station handled itself was done on behalf of its town's window of the matter's
    // department (the county centre's when the town has none): that is the implementing department.
    .leftJoinLateral(
      (eb) =>
        eb
          .selectFrom('windows as dw')
          .leftJoin('towns as dwt', 'dwt.id', 'dw.townId')
          .select(['dw.name as deputyName', 'dw.townId as deputyTownId', 'dwt.name as deputyTownName', 'dw.departmentCode as deputyCode'])
          .whereRef('dw.countyId', '=', 'c.countyId')
          .whereRef('dw.department', '=', 'mv.department')
          .where((w) => w.or([w('dw.townId', 'is', null), w('dw.townId', '=', w.ref('c.townId'))]))
          .orderBy(sql`dw.town_id is null`)
          .orderBy('dw.active', 'desc')
          .orderBy('dw.id')
          .limit(1)
          .as('dw'),
      (join) => join.onTrue(),
    )
    .select([
      'c.id', 'c.caseNo', 'c.channel', 'm.code as matterCode', 'mv.version as matterVersion', 'mv.name as matterName',
      'w.name as windowName', 'w.townId as windowTownId', 'wt.name as windowTownName', 'w.departmentCode',
      'dw.deputyName', 'dw.deputyTownId', 'dw.deputyTownName', 'dw.deputyCode',
      'v.name as villageName', 'v.divisionCode as villageDivisionCode', 't.name as townName', 't.divisionCode as townDivisionCode',
      'a.name as applicantName', 'a.idNumberSealed', 'a.phone as applicantPhone', 'ag.displayName as agentName',
      'r.overall', 'r.efficiency', 'r.competence', 'r.attitude', 'r.satisfaction', 'r.comment', 'r.recordedAt', 'r.byDefault',
      'rc.status as rectificationStatus', 'rc.fixed as rectificationFixed',
    ])
    .select((eb) => [
      eb.selectFrom('caseEvents as e').select((e) => e.fn.max('e.at').as('at')).whereRef('e.caseId', '=', 'c.id').where('e.action', '=', 'reply').as('repliedAt'),
      eb.selectFrom('caseEvents as e').select((e) => e.fn.max('e.at').as('at')).whereRef('e.caseId', '=', 'c.id').where('e.action', '=', 'complete').as('completedAt'),
      // The stage the rating found the case in: the step that recorded it closed the case.
      eb.selectFrom('caseEvents as e').select('e.fromStage').whereRef('e.caseId', '=', 'c.id').where('e.toStage', '=', 'closed').orderBy('e.id', 'desc').limit(1).as('stageAtRating'),
    ])
  if ('caseId' in filter) q = q.where('r.caseId', '=', filter.caseId)
  else {
    const { first, next } = monthBounds(filter.month)
    q = q
      .where((eb) => inScope(eb, filter.scope, { countyId: 'c.countyId', townId: 'c.townId', villageId: 'c.villageId' }))
      .where('r.recordedAt', '>=', sql<Date>`(${first}::timestamp at time zone ${timeZone})`)
      .where('r.recordedAt', '<', sql<Date>`(${next}::timestamp at time zone ${timeZone})`)
  }
  return q.orderBy('r.recordedAt').orderBy('c.id').execute()
}

type EvaluationRow = Awaited<ReturnType<typeof evaluationRows>>[number]

/** The record of one row; `t` names the department (a window with its town) and the time note. */
export function toEvaluationRecord(row: EvaluationRow, t: Translate, timeZone: string): EvaluationRecord {
  const serviceAt = row.repliedAt ?? row.completedAt
  const service = serviceAt ? new Date(serviceAt as Date | string) : null
  const recorded = new Date(row.recordedAt)
  const early = service !== null && recorded.getTime() < service.getTime()
  const department =
    row.windowName !== null
      ? { name: windowLabel(t, { name: row.windowName, townId: row.windowTownId, townName: row.windowTownName }), code: row.departmentCode ?? '' }
      : row.deputyName !== null
        ? { name: windowLabel(t, { name: row.deputyName, townId: row.deputyTownId, townName: row.deputyTownName }), code: row.deputyCode ?? '' }
        : { name: t('evaluationExport.station', { town: row.townName, village: row.villageName }), code: '' }
  return {
    case_no: row.caseNo,
    matter_code: row.matterCode,
    matter_version: row.matterVersion,
    matter_name: row.matterName,
    department_name: department.name,
    department_code: department.code,
    // The village's code; a village without one yet is named by its town's.
    division_code: row.villageDivisionCode || row.townDivisionCode,
    applicant_type: 'natural_person',
    applicant_name: row.applicantName,
    applicant_id_type: 'resident_id_card',
    applicant_id_number: openIdNumber(row.idNumberSealed) ?? '',
    applicant_phone: row.applicantPhone,
    agent_name: row.agentName,
    channel: row.channel,
    stage_at_rating: (row.stageAtRating as Stage | null) ?? '',
    grade: gradeOf(row.overall),
    grade_name: row.overall,
    efficiency: row.efficiency,
    competence: row.competence,
    attitude: row.attitude,
    satisfaction: row.satisfaction,
    comment: row.comment,
    service_time: service ? formatIsoDateTime(service, timeZone) : '',
    rating_time: formatIsoDateTime(early ? service! : recorded, timeZone),
    rating_time_note: early ? t('evaluationExport.ratingTimeNote', { recorded: formatIsoDateTime(recorded, timeZone) }) : '',
    by_default: row.byDefault,
    rectification_status: row.rectificationStatus ?? '',
    rectification_fixed: row.rectificationFixed ?? '',
  }
}

/** The records of a month in the actor's area, or of one rated case (the push). */
export async function evaluationRecords(db: Db, filter: EvaluationFilter, t: Translate, timeZone: string): Promise<EvaluationRecord[]> {
  return (await evaluationRows(db, filter, timeZone)).map((row) => toEvaluationRecord(row, t, timeZone))
}

/** A record's cells for the CSV: codes become words in the reader's language. */
export function evaluationCsvCells(r: EvaluationRecord, t: Translate): unknown[] {
  const words: Partial<Record<keyof EvaluationRecord, string>> = {
    applicant_type: t(`evaluationExport.applicantTypes.${r.applicant_type}`),
    applicant_id_type: t(`evaluationExport.idTypes.${r.applicant_id_type}`),
    channel: t(`intake.channels.${r.channel}`),
    stage_at_rating: r.stage_at_rating ? t(`stages.${r.stage_at_rating}`) : '',
    grade_name: t(`cases.ratings.${r.grade_name}`),
    by_default: t(r.by_default ? 'common.yes' : 'common.no'),
    rectification_status: r.rectification_status ? t(`rectifications.statuses.${r.rectification_status}`) : '',
  }
  return EVALUATION_FIELDS.map((f) => words[f] ?? r[f])
}
