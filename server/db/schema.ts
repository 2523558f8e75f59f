import type { ColumnType, Generated, Insertable, Selectable, Updateable } from 'kysely'

/** A timestamp the database fills in; read back as a Date. */
type CreatedAt = ColumnType<Date, Date | string | undefined, never>
type Timestamp = ColumnType<Date, Date | string, Date | string>
type Json<T> = ColumnType<T, string | T, string | T>

export const DEPARTMENTS = [
  'civil_affairs',
  'labour',
  'family_planning',
  'land',
  'forestry',
  'agriculture',
  'broadcasting',
  'rural_finance',
  'other',
] as const
export type Department = (typeof DEPARTMENTS)[number]

export const ROLES = ['agent', 'clerk', 'supervisor', 'admin'] as const
export type Role = (typeof ROLES)[number]

export interface CountiesTable {
  id: Generated<number>
  code: string
  name: string
  createdAt: CreatedAt
}

export interface TownsTable {
  id: Generated<number>
  countyId: number
  code: string
  name: string
  phone: Generated<string>
  address: Generated<string>
  createdAt: CreatedAt
}

export interface VillagesTable {
  id: Generated<number>
  countyId: number
  townId: number
  code: string
  name: string
  stationPhone: Generated<string>
  officeHours: Generated<string>
  address: Generated<string>
  createdAt: CreatedAt
}

export interface WindowsTable {
  id: Generated<number>
  countyId: number
  townId: number | null
  department: Department
  name: string
  phone: Generated<string>
  active: Generated<boolean>
  createdAt: CreatedAt
}

export interface UsersTable {
  id: Generated<number>
  countyId: number
  username: string
  displayName: string
  phone: Generated<string>
  role: Role
  post: 'A' | 'B' | null
  villageId: number | null
  windowId: number | null
  townId: number | null
  passwordHash: string
  tokenVersion: Generated<number>
  disabled: Generated<boolean>
  lockedUntil: Timestamp | null
  createdAt: CreatedAt
  updatedAt: Generated<Timestamp>
}

export interface LoginFailuresTable {
  id: Generated<string>
  userId: number
  ip: string
  at: CreatedAt
}

export interface AuditEventsTable {
  id: Generated<string>
  countyId: number
  actorId: number | null
  action: string
  subjectType: string
  subjectId: string
  data: Json<Record<string, unknown>>
  at: CreatedAt
}

export interface Database {
  counties: CountiesTable
  towns: TownsTable
  villages: VillagesTable
  windows: WindowsTable
  users: UsersTable
  loginFailures: LoginFailuresTable
  auditEvents: AuditEventsTable
}

export type County = Selectable<CountiesTable>
export type Town = Selectable<TownsTable>
export type Village = Selectable<VillagesTable>
export type Window = Selectable<WindowsTable>
export type User = Selectable<UsersTable>
export type NewUser = Insertable<UsersTable>
export type UserUpdate = Updateable<UsersTable>
