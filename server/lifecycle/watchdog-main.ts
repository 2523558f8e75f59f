import { isRunning, killGroup, stopPostmaster } from './processes.ts'
import type { WatchMessage } from './watchdog.ts'

/**
 * The watchdog process (see watchdog.ts): holds the other end of the server's IPC channel and,
 * when the channel closes — the server ended, cleanly or not — stops what the server left
 * registered, then exits. Imports nothing but node's own modules and processes.ts, to stay small.
 */
const watched = new Map<number, Required<WatchMessage>>()

process.on('message', (message: WatchMessage) => {
  if (message.op === 'watch' && message.stop && message.what) watched.set(message.target.pid, message as Required<WatchMessage>)
  else if (message.op === 'forget') watched.delete(message.target.pid)
})

// Its own work ends when the server's does: signals meant for the server's terminal or its
// supervisor (a Ctrl-C, systemd's SIGTERM to the whole control group) do not end it early.
for (const name of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(name, () => {})
// The server's stderr may be gone with it; a failed log line must not stop the clean-up.
process.stderr.on('error', () => {})

process.on('disconnect', () => {
  const left = [...watched.values()].filter((entry) => isRunning(entry.target))
  for (const entry of left) console.error(`bianmin watchdog: the server ended without stopping ${entry.what} (pid ${entry.target.pid}); stopping it.`)
  void Promise.all(
    left.map(async (entry) => {
      if (entry.stop === 'postgres') await stopPostmaster(entry.target)
      else killGroup(entry.target)
    }),
  ).finally(() => process.exit(0))
})
