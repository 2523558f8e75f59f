import { fork, type ChildProcess } from 'node:child_process'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { identify, type ProcessIdentity } from './processes.ts'

/**
 * What the server starts must not outlive it. A clean stop closes PostgreSQL and Chromium itself;
 * a crash does not: after a SIGKILL, an abort or a heap out of memory nothing of the server runs,
 * and neither child notices by itself — PostgreSQL's postmaster does not watch its parent (only its
 * backends watch the postmaster) and puppeteer starts Chromium in a process group of its own.
 *
 * So the first child registered here starts a watchdog (watchdog-main.ts): a small node process
 * joined to this one by an IPC channel, told the identity of each child to stop. The kernel closes
 * that channel whatever way this process ends; the watchdog sees the disconnect at once, stops the
 * children still registered (PostgreSQL with a fast shutdown, Chromium's process group with
 * SIGKILL) and exits. Pipe end-of-file needs no polling, no timer and no cooperation from the
 * dying process. The watchdog runs in a session of its own, so a kill of this process's group (a
 * terminal's Ctrl-C aside, which it ignores) leaves it to clean up too; under systemd the unit's
 * control group is the last net (deploy/bianmin.service).
 *
 * One per process, started lazily: the server, each command and the test runner that start an
 * embedded PostgreSQL or a Chromium get theirs; nothing else pays for one.
 */
export interface WatchMessage {
  op: 'watch' | 'forget'
  target: ProcessIdentity
  /** postgres: a fast shutdown; group: SIGKILL to the process and the group it leads. */
  stop?: 'postgres' | 'group'
  /** For the watchdog's log line. */
  what?: string
}

let watchdog: ChildProcess | null = null

function startWatchdog(): ChildProcess {
  const here = fileURLToPath(import.meta.url)
  // watchdog-main.js compiled; watchdog-main.ts under tsx, whose loader it then needs. Nothing else
  // of this process's flags (a test runner's hooks, an inspector, its heap size) is wanted there.
  const entry = path.join(path.dirname(here), `watchdog-main${path.extname(here)}`)
  const execArgv = [...(entry.endsWith('.ts') ? ['--import', import.meta.resolve('tsx')] : []), '--max-old-space-size=32']
  const child = fork(entry, [], { detached: true, stdio: ['ignore', 'inherit', 'inherit', 'ipc'], execArgv })
  child.on('error', () => {
    if (watchdog === child) watchdog = null
  })
  child.on('exit', () => {
    if (watchdog === child) watchdog = null
  })
  // The watchdog must neither keep this process alive nor hold up its exit.
  child.unref()
  child.channel?.unref()
  return child
}

function send(message: WatchMessage): void {
  watchdog ??= startWatchdog()
  if (!watchdog.connected) return
  watchdog.send(message, (error) => {
    if (error) watchdog = null
  })
  // send() refs the channel while it writes; unref again so an idle watchdog never keeps us running.
  watchdog.channel?.unref()
}

/** Stops `pid` when this process dies without stopping it: call right after starting it. */
export function stopWhenThisProcessDies(pid: number, stop: 'postgres' | 'group', what: string): void {
  send({ op: 'watch', target: identify(pid), stop, what })
}

/** `pid` was stopped cleanly (or is gone): the watchdog leaves it alone. */
export function forgetChild(pid: number): void {
  if (!watchdog) return
  send({ op: 'forget', target: { pid, startTime: null } })
}
