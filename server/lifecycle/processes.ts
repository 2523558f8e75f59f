import { readFileSync, readlinkSync, realpathSync } from 'node:fs'

/**
 * Processes the server starts (its embedded PostgreSQL, the PDF Chromium), told apart from any
 * other process that later gets the same pid: a pid and the time the kernel says it started.
 * Linux's /proc; where it is missing, a pid alone.
 */
export interface ProcessIdentity {
  pid: number
  /** Field 22 of /proc/<pid>/stat (clock ticks after boot); null when /proc cannot be read. */
  startTime: string | null
}

function stat(pid: number): { state: string; parent: number; processGroup: number; startTime: string } | null {
  let text: string
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8')
  } catch {
    return null
  }
  // "pid (comm) state ppid pgrp ..."; comm may hold spaces and parentheses, so split after the last ')'.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ')
  return { state: fields[0], parent: Number(fields[1]), processGroup: Number(fields[2]), startTime: fields[19] }
}

export function identify(pid: number): ProcessIdentity {
  return { pid, startTime: stat(pid)?.startTime ?? null }
}

/** Whether that very process still runs (a zombie waiting for its reaper does not). */
export function isRunning(target: ProcessIdentity): boolean {
  const now = stat(target.pid)
  if (now) return now.state !== 'Z' && now.state !== 'X' && (target.startTime === null || now.startTime === target.startTime)
  try {
    process.kill(target.pid, 0)
    return target.startTime === null
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM' && target.startTime === null
  }
}

/** Whether a running process is a PostgreSQL postmaster of `dataDir` (it works in its data folder). */
export function isPostmasterOf(pid: number, dataDir: string): boolean {
  try {
    return readlinkSync(`/proc/${pid}/cwd`) === realpathSync(dataDir)
  } catch {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').includes(dataDir)
    } catch {
      return false
    }
  }
}

/**
 * Whether a process's parent is a node process like this one: a server or a command that started
 * it and still runs. An orphan's parent is init (or a subreaper), never node. Unknown (no /proc)
 * counts as yes, to leave alone what cannot be told apart.
 */
export function parentIsNode(pid: number): boolean {
  const parent = stat(pid)?.parent
  if (parent === undefined) return true
  try {
    return realpathSync(`/proc/${parent}/exe`) === realpathSync(process.execPath)
  } catch {
    return parent !== 1
  }
}

function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name)
  } catch {
    // gone already
  }
}

async function waitGone(target: ProcessIdentity, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms
  while (isRunning(target)) {
    if (Date.now() >= deadline) return false
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  return true
}

/**
 * Stops a postmaster: a fast shutdown first (SIGINT: sessions end, a checkpoint, a clean exit), an
 * immediate one if that hangs (SIGQUIT: recovery at the next start), SIGKILL last. Resolves once
 * it is gone; its backends follow it by themselves (they watch the postmaster).
 */
export async function stopPostmaster(postmaster: ProcessIdentity, fastMs = 10_000): Promise<void> {
  if (!isRunning(postmaster)) return
  signal(postmaster.pid, 'SIGINT')
  if (await waitGone(postmaster, fastMs)) return
  signal(postmaster.pid, 'SIGQUIT')
  if (await waitGone(postmaster, 3000)) return
  signal(postmaster.pid, 'SIGKILL')
  await waitGone(postmaster, 3000)
}

/**
 * Kills a process and, when it leads its own process group (puppeteer starts Chromium so, with its
 * renderer and GPU helpers in that group), the whole group.
 */
export function killGroup(leader: ProcessIdentity): void {
  if (!isRunning(leader)) return
  if (stat(leader.pid)?.processGroup === leader.pid) signal(-leader.pid, 'SIGKILL')
  signal(leader.pid, 'SIGKILL')
}
