import { sql } from 'kysely'
import type { Db } from '../db/connect.ts'
import type { PersonalDataField } from '../db/schema.ts'
import { scopeOf, type Actor } from '../accounts/actor.ts'
import { inScope } from '../accounts/scope.ts'
import { maskIdNumber, maskPhone } from './mask.ts'
import { openIdNumber } from './id-vault.ts'

/**
 * Need to see (PIPL art. 6: no more than the task needs): staff pages show an applicant's ID number
 * and phone masked, for everyone. A person whose task needs the full value asks for it with the
 * "show" control, one field of one applicant at a time, and each such look is recorded. Only the
 * intake form and the reply step show the full value at once: there the agent copies the number
 * or calls the villager.
 *
 * Who may reveal is whoever's jurisdiction holds the applicant: an agent the applicants of the
 * village, a supervisor those of the town or the county, an administrator the county's; a window
 * clerk holds no village, so only the applicants of cases sent to the clerk's window.
 */

export const REVEALABLE_FIELDS = ['id_number', 'phone'] as const satisfies readonly PersonalDataField[]

export interface RevealableApplicant {
  id: number
  name: string
  idNumber: string | null
  phone: string
}

/** The applicant if the actor may reveal their fields; undefined for one outside the actor's scope or missing (the same to the caller). */
export async function findRevealableApplicant(db: Db, actor: Actor, applicantId: number): Promise<RevealableApplicant | undefined> {
  let q = db
    .selectFrom('applicants')
    .innerJoin('villages', 'villages.id', 'applicants.villageId')
    .select(['applicants.id', 'applicants.name', 'applicants.idNumberSealed', 'applicants.phone'])
    .where('applicants.id', '=', applicantId)
    .where('applicants.countyId', '=', actor.countyId)
  if (actor.role === 'clerk') {
    q = q.where((eb) =>
      eb.exists(
        eb.selectFrom('cases').select(sql`1`.as('one')).whereRef('cases.applicantId', '=', 'applicants.id').where('cases.countyId', '=', actor.countyId).where('cases.windowId', '=', actor.windowId ?? 0),
      ),
    )
  } else {
    q = q.where((eb) => inScope(eb, scopeOf(actor), { countyId: 'applicants.countyId', townId: 'villages.townId', villageId: 'applicants.villageId' }))
  }
  const row = await q.executeTakeFirst()
  if (!row) return undefined
  const { idNumberSealed, ...applicant } = row
  return { ...applicant, idNumber: openIdNumber(idNumberSealed) }
}

/** The full value of one field, or null when the applicant has none (an applicant filed without an ID number). */
export function fieldValue(applicant: Pick<RevealableApplicant, 'idNumber' | 'phone'>, field: PersonalDataField): string | null {
  const value = field === 'id_number' ? applicant.idNumber : applicant.phone
  return value?.trim() ? value : null
}

/** What a page prints for one field: the masked value, and what the reveal control posts (nothing to post when there is no value). */
export interface MaskedField {
  masked: string
  reveal: { applicantId: number; field: PersonalDataField; from: string } | null
}

export function maskedField(applicantId: number, field: PersonalDataField, value: string | null | undefined, from: string): MaskedField {
  if (!value?.trim()) return { masked: '', reveal: null }
  return { masked: field === 'id_number' ? maskIdNumber(value) : maskPhone(value), reveal: { applicantId, field, from } }
}

/** The applicant's ID number and phone as a staff page shows them: masked, each with its reveal control. */
export function maskedContact(applicant: { id: number; idNumber: string | null; phone: string | null }, from: string) {
  return { idNumber: maskedField(applicant.id, 'id_number', applicant.idNumber, from), phone: maskedField(applicant.id, 'phone', applicant.phone, from) }
}

/**
 * The page a reveal came from, for its record and its back link: a path on this site only, so the
 * link can never lead elsewhere (`//host` and `/\host` are other sites to a browser).
 */
export function revealedFrom(from: string | undefined, applicantId: number): string {
  const fallback = `/applicants/${applicantId}`
  if (!from || from.length > 300) return fallback
  if (!from.startsWith('/') || from.startsWith('//') || from.includes('\\') || /[\u0000-\u001f\u007f]/.test(from)) return fallback
  return from
}
