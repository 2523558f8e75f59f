import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { Stage } from '../db/schema.ts'
import type { Translate } from '../i18n/i18n.ts'
import { OPEN_STAGES } from '../cases/case-rules.ts'
import { windowLabel } from '../org/window-label.ts'
import { endOfLocalDateIso, formatIsoDateTime, formatLocalDate } from '../calendar/local-time.ts'

/**
 * Cases as Open311 service requests. Anyone may read the list without a key, so a request says
 * only what cannot single out a household once joined with the board's monthly list (masked
 * name, matter, date): the number, the matter, open or closed, the dates, the station and its
 * village, never the village group, never where a case stands in words or how it ended. Never the
 * applicant's name, phone or ID number, never the agent's free-text summary, never a refusal's
 * written reason. Cases of matters kept off the public lists (低保, 特困 …) are left out, by the
 * matter's current version as well as the case's own (marking a matter later hides its earlier
 * cases). The partner that filed a case sees it in full: its stage and outcome, the window that
 * handles it, the village group it gave.
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
/** Numbers one GET may ask: enough to follow a few requests, too few to sweep a station's day. */
export const MAX_REQUEST_IDS = 10

export const statusOf = (stage: Stage): 'open' | 'closed' => (OPEN_STAGES.includes(stage) ? 'open' : 'closed')

export interface RequestFilter {
  countyId: number
  /** The partner asking, if it sent its key: it also sees its own cases of sensitive matters. */
  apiKeyId: number | null
  caseNos?: string[]
  /** Asked by number, only what the default list would show: cases requested since then (the partner's own at any age). */
  requestedSince?: Date
  serviceCodes?: string[]
  statuses?: ('open' | 'closed')[]
  from?: Date
  to?: Date
  limit: number
}

/**
 * When the villager asked: the registration date (an imported case's is in its old ledger, its row
 * was written at the import), at the time of the intake when the case was filed that day.
 */
const requestedAt = (timeZone: string) =>
  sql<Date>`case when cases.registered_on = (cases.created_at at time zone ${timeZone})::date then cases.created_at else cases.registered_on::timestamp at time zone ${timeZone} end`

export function findServiceRequests(db: Db, timeZone: string, f: RequestFilter) {
  const requested = requestedAt(timeZone)
  let q = db
    .selectFrom('cases')
    .innerJoin('matters', 'matters.id', 'cases.matterId')
    .innerJoin('matterVersions', 'matterVersions.id', 'cases.matterVersionId')
    .innerJoin('matterVersions as currentVersions', (j) => j.onRef('currentVersions.matterId', '=', 'matters.id').onRef('currentVersions.version', '=', 'matters.currentVersion'))
    .innerJoin('villages', 'villages.id', 'cases.villageId')
    .innerJoin('towns', 'towns.id', 'cases.townId')
    .innerJoin('applicants', 'applicants.id', 'cases.applicantId')
    .leftJoin('windows', 'windows.id', 'cases.windowId')
    .leftJoin('towns as windowTowns', 'windowTowns.id', 'windows.townId')
    .select([
      'cases.caseNo', 'cases.stage', 'cases.outcome', 'cases.updatedAt', 'cases.dueOn', 'cases.pausedSince', 'cases.apiKeyId',
      'matters.code as serviceCode', 'matterVersions.name as serviceName', 'matterVersions.promisedLimit', 'matterVersions.limitUnit',
      'villages.name as villageName', 'villages.code as villageCode', 'villages.stationPhone', 'towns.name as townName', 'applicants.villageGroup',
      'windows.name as windowName', 'windows.townId as windowTownId', 'windowTowns.name as windowTownName',
    ])
    .select(requested.as('requestedAt'))
    .where('cases.countyId', '=', f.countyId)
  q = f.apiKeyId === null
    ? q.where('matterVersions.keepOffPublicList', '=', false).where('currentVersions.keepOffPublicList', '=', false)
    : q.where((eb) => eb.or([eb.and([eb('matterVersions.keepOffPublicList', '=', false), eb('currentVersions.keepOffPublicList', '=', false)]), eb('cases.apiKeyId', '=', f.apiKeyId)]))
  const newestFirst = (query: typeof q) => query.orderBy(requested, 'desc').orderBy('cases.id', 'desc').limit(f.limit)
  if (f.caseNos) {
    q = q.where('cases.caseNo', 'in', f.caseNos)
    if (f.requestedSince) {
      const since = f.requestedSince
      q = f.apiKeyId === null ? q.where(requested, '>=', since) : q.where((eb) => eb.or([eb(requested, '>=', since), eb('cases.apiKeyId', '=', f.apiKeyId)]))
    }
    return newestFirst(q).execute()
  }
  if (f.serviceCodes) q = q.where('matters.code', 'in', f.serviceCodes)
  if (f.statuses && f.statuses.length === 1) {
    q = f.statuses[0] === 'open' ? q.where('cases.stage', 'in', OPEN_STAGES) : q.where('cases.stage', 'not in', OPEN_STAGES)
  }
  // The registration date bounds the request's time (it falls on that local day): the index's range.
  if (f.from) q = q.where(requested, '>=', f.from).where('cases.registeredOn', '>=', formatLocalDate(f.from, timeZone))
  if (f.to) q = q.where(requested, '<=', f.to).where('cases.registeredOn', '<=', formatLocalDate(f.to, timeZone))
  return newestFirst(q).execute()
}

type Row = Awaited<ReturnType<typeof findServiceRequests>>[number]

/** Where the case stands, in words for the villager; the outcome once there is one. */
function statusNotes(t: Translate, r: Row): string {
  const stage = t(`stages.${r.stage}`)
  if (r.pausedSince && (r.stage === 'forwarded' || r.stage === 'in_progress')) return t('open311.statusNotes.paused', { stage })
  if (r.outcome && (r.stage === 'completed' || r.stage === 'replied' || r.stage === 'closed')) return t('open311.statusNotes.withOutcome', { stage, outcome: t(`cases.outcomes.${r.outcome}`) })
  return t(`open311.statusNotes.${r.stage}`)
}

/**
 * One case as a request. `own`: the asking partner filed it, and sees where it stands in words,
 * the window handling it and the village group it gave; anyone else sees the station and village.
 */
export function serviceRequestOf(t: Translate, timeZone: string, r: Row, own: boolean): ServiceRequest {
  const station = t('open311.station', { town: r.townName, village: r.villageName })
  const handler = own && r.windowName ? windowLabel(t, { name: r.windowName, townId: r.windowTownId, townName: r.windowTownName }) : station
  const open = statusOf(r.stage) === 'open'
  return {
    service_request_id: r.caseNo,
    status: statusOf(r.stage),
    status_notes: own ? statusNotes(t, r) : '',
    service_name: r.serviceName,
    service_code: r.serviceCode,
    description: t('open311.requestDescription', { matter: r.serviceName }),
    agency_responsible: handler,
    service_notice: t('open311.serviceNotice', { promised: r.promisedLimit, unit: t(`matters.units.${r.limitUnit}`), station, phone: r.stationPhone || '—' }),
    requested_datetime: formatIsoDateTime(r.requestedAt, timeZone),
    updated_datetime: formatIsoDateTime(r.updatedAt, timeZone),
    expected_datetime: open && r.dueOn ? endOfLocalDateIso(r.dueOn, timeZone) : null,
    address: own ? [r.villageName, r.villageGroup.trim()].filter(Boolean).join(' ') : r.villageName,
    address_id: r.villageCode,
    zipcode: null,
    lat: null,
    long: null,
    media_url: null,
  }
}
