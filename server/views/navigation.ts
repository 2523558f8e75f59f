import type { Actor } from '../accounts/actor.ts'

export interface NavItem {
  href: string
  labelKey: string
}

/** The menu of each role. Pages check access themselves; the menu only shows the way. */
export function navigationFor(actor: Actor | null): NavItem[] {
  if (!actor) return [{ href: '/board', labelKey: 'nav.board' }, { href: '/guides', labelKey: 'nav.guides' }, { href: '/lookup', labelKey: 'nav.lookup' }, { href: '/deadline', labelKey: 'nav.deadlineCalculator' }, { href: '/login', labelKey: 'nav.login' }]
  const home = { href: '/', labelKey: 'nav.home' }
  switch (actor.role) {
    case 'agent':
      return [home, { href: '/cases/new', labelKey: 'nav.intake' }, { href: '/cases', labelKey: 'nav.search' }, { href: '/visits', labelKey: 'nav.visits' }, { href: '/ledger', labelKey: 'nav.ledger' }, { href: '/fees', labelKey: 'nav.fees' }, { href: '/notices', labelKey: 'nav.notices' }, { href: '/rectifications', labelKey: 'nav.rectifications' }]
    case 'clerk':
      return [home, { href: '/cases', labelKey: 'nav.search' }, { href: '/rectifications', labelKey: 'nav.rectifications' }]
    case 'supervisor':
      return [home, { href: '/overdue', labelKey: 'nav.overdue' }, { href: '/stats', labelKey: 'nav.stats' }, { href: '/cases', labelKey: 'nav.search' }, { href: '/ledger', labelKey: 'nav.ledger' }, { href: '/visits', labelKey: 'nav.visits' }, { href: '/fees', labelKey: 'nav.fees' }, { href: '/notices', labelKey: 'nav.notices' }, { href: '/rectifications', labelKey: 'nav.rectifications' }, { href: '/villages', labelKey: 'nav.villages' }]
    case 'admin':
      return [home, { href: '/admin/users', labelKey: 'nav.users' }, { href: '/admin/org', labelKey: 'nav.org' }, { href: '/admin/matters', labelKey: 'nav.matters' }, { href: '/admin/calendar', labelKey: 'nav.calendar' }, { href: '/ledger', labelKey: 'nav.ledger' }, { href: '/admin/ledger/verify', labelKey: 'nav.verify' }, { href: '/admin/jobs', labelKey: 'nav.jobs' }]
  }
}
