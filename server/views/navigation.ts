import type { Actor } from '../accounts/actor.ts'

export interface NavItem {
  href: string
  labelKey: string
}

/**
 * The menu of each role, most frequent task first: on a phone the first items are the ones seen
 * when the menu opens. Pages check access themselves; the menu only shows the way.
 */
export function navigationFor(actor: Actor | null): NavItem[] {
  // A villager comes to follow a case or to read what to bring; the board and the calculator after.
  if (!actor) return [{ href: '/lookup', labelKey: 'nav.lookup' }, { href: '/guides', labelKey: 'nav.guides' }, { href: '/board', labelKey: 'nav.board' }, { href: '/deadline', labelKey: 'nav.deadlineCalculator' }, { href: '/login', labelKey: 'nav.login' }]
  const home = { href: '/', labelKey: 'nav.home' }
  // For the agent and the window clerk, home is the list of what waits for them.
  const todo = { href: '/', labelKey: 'layout.todo' }
  switch (actor.role) {
    case 'agent':
      return [{ href: '/cases/new', labelKey: 'nav.intake' }, todo, { href: '/cases', labelKey: 'nav.search' }, { href: '/visits', labelKey: 'nav.visits' }, { href: '/fees', labelKey: 'nav.fees' }, { href: '/ledger', labelKey: 'nav.ledger' }, { href: '/notices', labelKey: 'nav.notices' }, { href: '/rectifications', labelKey: 'nav.rectifications' }]
    case 'clerk':
      return [todo, { href: '/cases', labelKey: 'nav.search' }, { href: '/rectifications', labelKey: 'nav.rectifications' }]
    case 'supervisor':
      return [{ href: '/overdue', labelKey: 'nav.overdue' }, { href: '/stats', labelKey: 'nav.stats' }, { href: '/cases', labelKey: 'nav.search' }, home, { href: '/ledger', labelKey: 'nav.ledger' }, { href: '/visits', labelKey: 'nav.visits' }, { href: '/fees', labelKey: 'nav.fees' }, { href: '/notices', labelKey: 'nav.notices' }, { href: '/rectifications', labelKey: 'nav.rectifications' }, { href: '/villages', labelKey: 'nav.villages' }, { href: '/privacy/access', labelKey: 'access.nav' }]
    case 'admin':
      return [home, { href: '/admin/users', labelKey: 'nav.users' }, { href: '/admin/org', labelKey: 'nav.org' }, { href: '/admin/matters', labelKey: 'nav.matters' }, { href: '/admin/calendar', labelKey: 'nav.calendar' }, { href: '/ledger', labelKey: 'nav.ledger' }, { href: '/admin/ledger/verify', labelKey: 'nav.verify' }, { href: '/admin/jobs', labelKey: 'nav.jobs' }, { href: '/imports', labelKey: 'nav.imports' }, { href: '/admin/api-keys', labelKey: 'nav.apiKeys' }, { href: '/privacy/access', labelKey: 'access.nav' }]
  }
}
