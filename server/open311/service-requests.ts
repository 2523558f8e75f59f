import type { Db } from '../db/connect.ts'
import type { Stage } from '../db/schema.ts'
import type { Translate } from '../i18n/i18n.ts'
import { OPEN_STAGES } from '../cases/case-rules.ts'
import { windowLabel } from '../org/window-label.ts'
import { endOfLocalDateIso, formatIsoDateTime } from '../calendar/local-time.ts'

/**
 * Cases as Open311 service requests. What a request says is what the public look-up says and
 * less: the matter, where it stands, who handles it, the dates, and the village and group. Never
 * the applicant's name, phone or ID number, never the agent's free-text summary (it often holds a
 * name), never a refusal's written reason. Cases of matters kept off the public lists (低保, 特困 …)
 * are shown only to the partner that filed them.
 */
export interface ServiceRequest {
  service_request_id: string
  status: 'open' | 'closed'
  status_notes: string
  service_name: string
  service_code: string
  description: string
  agency_responsible: string
  service_notice: string
  requested_datetime: string
  updated_datetime: string
  expected_datetime: string | null
  address: string
  address_id: string
  zipcode: null
  lat: null
  long: null
  media_url: null
}

export const DEFAULT_LIST_DAYS = 90
export const MAX_LIST_DAYS = 90
export const DEFAULT_LIST_LIMIT = 1000

export const statusOf = (stage: Stage): 'open' | 'closed' => (OPEN_STAGES.includes(stage) ? 'open' : 'closed')

export interface RequestFilter {
  countyId: number
  /** The partner asking, if it sent its key: it also sees its own cases of sensitive matters. */
  apiKeyId: number | null
  caseNos?: string[]
  serviceCodes?: string[]
  statuses?: ('open' | 'closed')[]
  from?: Date
  to?: Date
  limit: number
}

export function findServiceRequests(db: Db, f: RequestFilter) {
  let q = db
    .selectFrom('cases')
    .innerJoin('matters', 'matters.id', 'cases.matterId')
    .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
    .innerJoin('villages', 'villages.id', 'cases.villageId')
    .innerJoin('towns', 'towns.id', 'cases.townId')
    .innerJoin('applicants', 'applicants.id', 'cases.applicantId')
    .leftJoin('windows', 'windows.id', 'cases.windowId')
    .leftJoin('towns as windowTowns', 'windowTowns.id', 'windows.townId')
    .select([
      'cases.caseNo', 'cases.stage', 'cases.outcome', 'cases.createdAt', 'cases.updatedAt', 'cases.dueOn', 'cases.pausedSince',
      'matters.code as serviceCode', 'matterVersions.name as serviceName', 'matterVersions.promisedLimit', 'matterVersions.limitUnit',
      'villages.name as villageName', 'villages.code as villageCode', 'villages.stationPhone', 'towns.name as townName', 'applicants.villageGroup',
      'windows.name as windowName', 'windows.townId as windowTownId', 'windowTowns.name as windowTownName',
    ])
    .where('cases.countyId', '=', f.countyId)
  q = f.apiKeyId === null
    ? q.where('matterVersions.keepOffPublicList', '=', false)
    : q.where((eb) => eb.or([eb('matterVersions.keepOffPublicList', '=', false), eb('cases.apiKeyId', '=', f.apiKeyId)]))
  if (f.caseNos) return q.where('cases.caseNo', 'in', f.caseNos).orderBy('cases.createdAt', 'desc').limit(f.limit).execute()
  if (f.serviceCodes) q = q.where('matters.code', 'in', f.serviceCodes)
  if (f.statuses && f.statuses.length === 1) {
    q = f.statuses[0] === 'open' ? q.where('cases.stage', 'in', OPEN_STAGES) : q.where('cases.stage', 'not in', OPEN_STAGES)
  }
  if (f.from) q = q.where('cases.createdAt', '>=', f.from)
  if (f.to) q = q.where('cases.createdAt', '<=', f.to)
  return q.orderBy('cases.createdAt', 'desc').limit(f.limit).execute()
}

type Row = Awaited<ReturnType<typeof findServiceRequests>>[number]

/** Where the case stands, in words for the villager; the outcome once there is one. */
function statusNotes(t: Translate, r: Row): string {
  const stage = t(`stages.${r.stage}`)
  if (r.pausedSince && (r.stage === 'forwarded' || r.stage === 'in_progress')) return t('open311.statusNotes.paused', { stage })
  if (r.outcome && (r.stage === 'completed' || r.stage === 'replied' || r.stage === 'closed')) return t('open311.statusNotes.withOutcome', { stage, outcome: t(`cases.outcomes.${r.outcome}`) })
  return t(`open311.statusNotes.${r.stage}`)
}

export function serviceRequestOf(t: Translate, timeZone: string, r: Row): ServiceRequest {
  const station = t('open311.station', { town: r.townName, village: r.villageName })
  const handler = r.windowName ? windowLabel(t, { name: r.windowName, townId: r.windowTownId, townName: r.windowTownName }) : station
  const open = statusOf(r.stage) === 'open'
  return {
    service_request_id: r.caseNo,
    status: statusOf(r.stage),
    status_notes: statusNotes(t, r),
    service_name: r.serviceName,
    service_code: r.serviceCode,
    description: t('open311.requestDescription', { matter: r.serviceName }),
    agency_responsible: handler,
    service_notice: t('open311.serviceNotice', { promised: r.promisedLimit, unit: t(`matters.units.${r.limitUnit}`), station, phone: r.stationPhone || '—' }),
    requested_datetime: formatIsoDateTime(r.createdAt, timeZone),
    updated_datetime: formatIsoDateTime(r.updatedAt, timeZone),
    expected_datetime: open && r.dueOn ? endOfLocalDateIso(r.dueOn, timeZone) : null,
    address: [r.villageName, r.villageGroup.trim()].filter(Boolean).join(' '),
    address_id: r.villageCode,
    zipcode: null,
    lat: null,
    long: null,
    media_url: null,
  }
}
