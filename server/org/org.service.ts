import type { Db } from '../db/connect.ts'
import type { Department } from '../db/schema.ts'
import type { Actor } from '../accounts/actor.ts'
import { RuleViolation, NotFound } from '../errors/errors.ts'
import { recordAudit } from '../audit/audit.ts'

export interface TownInput {
  code: string
  name: string
  phone: string
  address: string
  divisionCode: string
}
export interface VillageInput {
  townId: number
  code: string
  name: string
  stationPhone: string
  officeHours: string
  address: string
  divisionCode: string
}
export interface WindowInput {
  townId: number | ''
  department: Department
  name: string
  phone: string
  departmentCode: string
  active?: boolean
}

function isUniqueViolation(error: unknown): boolean {
  return (error as { code?: string })?.code === '23505'
}

async function requireTown(db: Db, countyId: number, townId: number) {
  const town = await db.selectFrom('towns').select('id').where('id', '=', townId).where('countyId', '=', countyId).executeTakeFirst()
  if (!town) throw new RuleViolation('org.townInvalid', 'townId')
}

export async function createTown(db: Db, actor: Actor, input: TownInput): Promise<number> {
  try {
    return await db.transaction().execute(async (trx) => {
      const { id } = await trx.insertInto('towns').values({ countyId: actor.countyId, ...input }).returning('id').executeTakeFirstOrThrow()
      await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'town.created', subjectType: 'town', subjectId: id, data: { ...input } })
      return id
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw new RuleViolation('org.codeTaken', 'code')
    throw error
  }
}

export async function updateTown(db: Db, actor: Actor, townId: number, input: Omit<TownInput, 'code'>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const result = await trx.updateTable('towns').set(input).where('id', '=', townId).where('countyId', '=', actor.countyId).executeTakeFirst()
    if (result.numUpdatedRows === 0n) throw new NotFound()
    await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'town.edited', subjectType: 'town', subjectId: townId, data: { ...input } })
  })
}

export async function createVillage(db: Db, actor: Actor, input: VillageInput): Promise<number> {
  try {
    return await db.transaction().execute(async (trx) => {
      await requireTown(trx, actor.countyId, input.townId)
      const { id } = await trx.insertInto('villages').values({ countyId: actor.countyId, ...input }).returning('id').executeTakeFirstOrThrow()
      await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'village.created', subjectType: 'village', subjectId: id, data: { ...input } })
      return id
    })
  } catch (error) {
    if (isUniqueViolation(error)) throw new RuleViolation('org.codeTaken', 'code')
    throw error
  }
}

export async function updateVillage(db: Db, actor: Actor, villageId: number, input: Omit<VillageInput, 'code' | 'townId'>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const result = await trx.updateTable('villages').set(input).where('id', '=', villageId).where('countyId', '=', actor.countyId).executeTakeFirst()
    if (result.numUpdatedRows === 0n) throw new NotFound()
    await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'village.edited', subjectType: 'village', subjectId: villageId, data: { ...input } })
  })
}

export async function createWindow(db: Db, actor: Actor, input: WindowInput): Promise<number> {
  const townId = input.townId === '' ? null : input.townId
  return db.transaction().execute(async (trx) => {
    if (townId !== null) await requireTown(trx, actor.countyId, townId)
    const { id } = await trx
      .insertInto('windows')
      .values({ countyId: actor.countyId, townId, department: input.department, name: input.name, phone: input.phone, departmentCode: input.departmentCode })
      .returning('id')
      .executeTakeFirstOrThrow()
    await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'window.created', subjectType: 'window', subjectId: id, data: { ...input } })
    return id
  })
}

export async function updateWindow(db: Db, actor: Actor, windowId: number, input: Omit<WindowInput, 'townId'>): Promise<void> {
  await db.transaction().execute(async (trx) => {
    const result = await trx
      .updateTable('windows')
      .set({ department: input.department, name: input.name, phone: input.phone, departmentCode: input.departmentCode, active: input.active ?? false })
      .where('id', '=', windowId)
      .where('countyId', '=', actor.countyId)
      .executeTakeFirst()
    if (result.numUpdatedRows === 0n) throw new NotFound()
    await recordAudit(trx, { countyId: actor.countyId, actorId: actor.id, action: 'window.edited', subjectType: 'window', subjectId: windowId, data: { ...input } })
  })
}
