import type { Db } from '../db/connect.ts'
import type { Actor } from '../accounts/actor.ts'
import { NotFound } from '../errors/errors.ts'
import { recordAudit } from '../audit/audit.ts'
import { checkCatalogue, checkMatter, type MatterInput, type RuleProblem } from './matter-rules.ts'
import { listMatters } from './matters.repository.ts'

export class MatterRefused extends Error {
  constructor(readonly problems: RuleProblem[]) {
    super('matter refused')
  }
}

const CONTENT_FIELDS = [
  'name', 'department', 'caseType', 'serviceForms', 'proxiable', 'notProxiableReason', 'materials', 'legalBasis', 'conditions', 'procedure',
  'statutoryLimit', 'promisedLimit', 'limitUnit', 'forwardLimit', 'replyLimit', 'feeFen', 'feeBasis', 'complaintChannel', 'silenceConsent', 'keepOffPublicList',
  'postingRounds', 'postingDays', 'postingFields',
] as const

function versionValues(m: MatterInput) {
  return {
    name: m.name.trim(),
    department: m.department,
    caseType: m.caseType,
    serviceForms: m.serviceForms,
    proxiable: m.proxiable,
    notProxiableReason: m.notProxiableReason ?? '',
    materials: JSON.stringify(m.materials.map((x) => ({ ...x, name: x.name.trim(), note: x.note ?? '' }))),
    legalBasis: m.legalBasis,
    conditions: m.conditions,
    procedure: JSON.stringify(m.procedure),
    statutoryLimit: m.statutoryLimit,
    promisedLimit: m.promisedLimit,
    limitUnit: m.limitUnit,
    forwardLimit: m.forwardLimit,
    replyLimit: m.replyLimit,
    feeFen: m.feeFen,
    feeBasis: m.feeBasis,
    complaintChannel: m.complaintChannel,
    silenceConsent: m.silenceConsent,
    keepOffPublicList: m.keepOffPublicList,
    postingRounds: m.postingRounds,
    postingDays: m.postingDays,
    postingFields: m.postingFields,
  }
}

type StoredVersion = Record<(typeof CONTENT_FIELDS)[number], unknown>

/** JSON with sorted keys: jsonb stores object keys in its own order. */
function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`
  if (value && typeof value === 'object') {
    return `{${Object.keys(value).sort().map((k) => `${JSON.stringify(k)}:${stableJson((value as Record<string, unknown>)[k])}`).join(',')}}`
  }
  return JSON.stringify(value)
}

function sameContent(stored: StoredVersion, input: MatterInput): boolean {
  const next = versionValues(input) as Record<string, unknown>
  return CONTENT_FIELDS.every((f) => {
    const a = stored[f]
    const b = typeof next[f] === 'string' && (f === 'materials' || f === 'procedure') ? JSON.parse(next[f] as string) : next[f]
    return stableJson(f === 'feeFen' ? Number(a) : a) === stableJson(b)
  })
}

/**
 * Writes a matter: a new code gets version 1; a changed matter gets a new version (the old one
 * stays for the cases accepted under it); an unchanged one is left alone. Returns the matter id.
 */
async function upsertMatter(trx: Db, actor: Pick<Actor, 'id' | 'countyId'> | null, countyId: number, input: MatterInput, options: { demo?: boolean } = {}): Promise<{ id: number; changed: boolean }> {
  const existing = await trx.selectFrom('matters').selectAll().where('countyId', '=', countyId).where('code', '=', input.code).forUpdate().executeTakeFirst()
  if (!existing) {
    const { id } = await trx.insertInto('matters').values({ countyId, code: input.code, active: input.active, demo: options.demo ?? false }).returning('id').executeTakeFirstOrThrow()
    await trx.insertInto('matterVersions').values({ matterId: id, countyId, version: 1, createdBy: actor?.id ?? null, ...versionValues(input) }).execute()
    return { id, changed: true }
  }
  const current = await trx.selectFrom('matterVersions').selectAll().where('matterId', '=', existing.id).where('version', '=', existing.currentVersion).executeTakeFirstOrThrow()
  const contentChanged = !sameContent(current as unknown as StoredVersion, input)
  if (contentChanged) {
    const version = existing.currentVersion + 1
    await trx.insertInto('matterVersions').values({ matterId: existing.id, countyId, version, createdBy: actor?.id ?? null, ...versionValues(input) }).execute()
    await trx.updateTable('matters').set({ currentVersion: version, active: input.active }).where('id', '=', existing.id).execute()
  } else if (existing.active !== input.active) {
    await trx.updateTable('matters').set({ active: input.active }).where('id', '=', existing.id).execute()
  }
  return { id: existing.id, changed: contentChanged || existing.active !== input.active }
}

export async function saveMatter(db: Db, actor: Actor, input: MatterInput, expectedMatterId: number | null): Promise<number> {
  const problems = checkMatter(input)
  if (problems.length) throw new MatterRefused(problems)
  return db.transaction().execute(async (trx) => {
    const clash = await trx.selectFrom('matters').select('id').where('countyId', '=', actor.countyId).where('code', '=', input.code).executeTakeFirst()
    if (expectedMatterId === null && clash) throw new MatterRefused([{ path: '/code', key: 'matters.rule.codeTaken' }])
    if (expectedMatterId !== null && clash?.id !== expectedMatterId) throw new NotFound()
    const { id, changed } = await upsertMatter(trx, actor, actor.countyId, input)
    if (changed) await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: expectedMatterId ? 'matter.edited' : 'matter.created', subjectType: 'matter', subjectId: id, data: { code: input.code } })
    return id
  })
}

export async function setMatterActive(db: Db, actor: Actor, matterId: number, active: boolean): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const result = await trx.updateTable('matters').set({ active }).where('id', '=', matterId).where('countyId', '=', actor.countyId).executeTakeFirst()
    if (result.numUpdatedRows === 0n) throw new NotFound()
    await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: active ? 'matter.activated' : 'matter.deactivated', subjectType: 'matter', subjectId: matterId })
  })
}

/** Imports a whole catalogue file: all of it, or — with any error — none of it. */
export async function importCatalogue(db: Db, actor: Pick<Actor, 'id' | 'countyId'> | null, countyId: number, data: unknown, options: { demo?: boolean } = {}): Promise<{ total: number; changed: number }> {
  const problems = checkCatalogue(data)
  if (problems.length) throw new MatterRefused(problems)
  const matters = (data as { matters: MatterInput[] }).matters
  return db.transaction().execute(async (trx) => {
    let changed = 0
    for (const m of matters) if ((await upsertMatter(trx, actor, countyId, m, options)).changed) changed++
    await recordAudit(trx, { countyId, actorId: actor?.id ?? null, action: 'matters.imported', subjectType: 'catalogue', subjectId: countyId, data: { total: matters.length, changed } })
    return { total: matters.length, changed }
  })
}

/** The whole catalogue (current versions, active or not) in the import format. */
export async function exportCatalogue(db: Db, countyId: number, now: Date) {
  const rows = await listMatters(db, countyId, { includeInactive: true })
  const county = await db.selectFrom('counties').select('code').where('id', '=', countyId).executeTakeFirstOrThrow()
  return {
    format: 'bianmin-matter-catalogue/1' as const,
    exportedAt: now.toISOString(),
    county: county.code,
    matters: rows.map((r) => ({
      code: r.code,
      name: r.name,
      department: r.department,
      caseType: r.caseType,
      serviceForms: r.serviceForms,
      proxiable: r.proxiable,
      notProxiableReason: r.notProxiableReason,
      materials: r.materials,
      legalBasis: r.legalBasis,
      conditions: r.conditions,
      procedure: r.procedure,
      statutoryLimit: r.statutoryLimit,
      promisedLimit: r.promisedLimit,
      limitUnit: r.limitUnit,
      forwardLimit: r.forwardLimit,
      replyLimit: r.replyLimit,
      feeFen: Number(r.feeFen),
      feeBasis: r.feeBasis,
      complaintChannel: r.complaintChannel,
      silenceConsent: r.silenceConsent,
      keepOffPublicList: r.keepOffPublicList,
      postingRounds: r.postingRounds,
      postingDays: r.postingDays,
      postingFields: r.postingFields as MatterInput['postingFields'],
      active: r.active,
    })),
  }
}
