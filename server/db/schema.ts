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

export interface CalendarDaysTable {
  date: string
  kind: 'holiday' | 'workday'
  name: string
  source: Generated<string>
  updatedBy: number | null
  updatedAt: Generated<Timestamp>
}

export interface CalendarChangesTable {
  id: Generated<string>
  date: string
  oldKind: string | null
  newKind: string | null
  name: Generated<string>
  actorId: number | null
  at: CreatedAt
}

export const CASE_TYPES = ['on_the_spot', 'promised', 'joint', 'referred'] as const
export type CaseType = (typeof CASE_TYPES)[number]
export const SERVICE_FORMS = ['proxy', 'help', 'accompany'] as const
export type ServiceForm = (typeof SERVICE_FORMS)[number]
export const MATERIAL_FORMS = ['original', 'copy', 'original_and_copy'] as const
export const POSTING_FIELDS = ['household_head', 'household_size', 'amount', 'village_group', 'proposed_result'] as const

export interface Material {
  name: string
  form: (typeof MATERIAL_FORMS)[number]
  copies: number
  required: boolean
  note: string
}

export interface MattersTable {
  id: Generated<number>
  countyId: number
  code: string
  currentVersion: Generated<number>
  active: Generated<boolean>
  demo: Generated<boolean>
  createdAt: CreatedAt
}

export interface MatterVersionsTable {
  id: Generated<number>
  matterId: number
  countyId: number
  version: number
  name: string
  department: Department
  caseType: CaseType
  serviceForms: ServiceForm[]
  proxiable: boolean
  notProxiableReason: Generated<string>
  materials: Json<Material[]>
  legalBasis: string
  conditions: string
  procedure: Json<string[]>
  statutoryLimit: number
  promisedLimit: number
  limitUnit: 'working' | 'calendar'
  forwardLimit: Generated<number>
  replyLimit: Generated<number>
  /** pg returns bigint as a string; parsed on purpose where summed. */
  feeFen: ColumnType<string, string | number | bigint | undefined, never>
  feeBasis: Generated<string>
  complaintChannel: string
  silenceConsent: Generated<boolean>
  postingRounds: Generated<number>
  postingDays: Generated<number>
  postingFields: ColumnType<string[], string[] | undefined, never>
  createdBy: number | null
  createdAt: CreatedAt
}

export interface Database {
  counties: CountiesTable
  towns: TownsTable
  villages: VillagesTable
  windows: WindowsTable
  users: UsersTable
  loginFailures: LoginFailuresTable
  auditEvents: AuditEventsTable
  calendarDays: CalendarDaysTable
  calendarChanges: CalendarChangesTable
  matters: MattersTable
  matterVersions: MatterVersionsTable
}

export type County = Selectable<CountiesTable>
export type Town = Selectable<TownsTable>
export type Village = Selectable<VillagesTable>
export type Window = Selectable<WindowsTable>
export type User = Selectable<UsersTable>
export type NewUser = Insertable<UsersTable>
export type UserUpdate = Updateable<UsersTable>
export type Matter = Selectable<MattersTable>
export type MatterVersion = Selectable<MatterVersionsTable>
