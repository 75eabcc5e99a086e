/** The machine a run happened on, so numbers are never read without it. */
import { execFileSync } from 'node:child_process'
import { cpus, loadavg, totalmem, type as osType, release, arch } from 'node:os'

export interface Machine {
  cpu: string
  /** Logical cores the OS reports. */
  cores: number
  memoryGiB: number
  node: string
  os: string
  /** 1, 5 and 15 minute load averages when the run started and when it ended. */
  loadAverage: { start: number[]; end: number[] }
  commit: string | null
  /** Uncommitted changes to tracked files when the run started. */
  dirty: boolean | null
  startedAt: string
  finishedAt: string
}

function git(args: string[]): string | null {
  try {
    // --no-optional-locks: a read-only look, never touching the index.
    return execFileSync('git', ['--no-optional-locks', ...args], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim()
  } catch {
    return null
  }
}

const round2 = (n: number) => Math.round(n * 100) / 100

export function machineAtStart(): Omit<Machine, 'finishedAt' | 'loadAverage'> & {
  loadAverage: { start: number[] }
} {
  const status = git(['status', '--porcelain', '--untracked-files=no'])
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores: cpus().length,
    memoryGiB: round2(totalmem() / 2 ** 30),
    node: process.version,
    os: `${osType()} ${release()} ${arch()}`,
    loadAverage: { start: loadavg().map(round2) },
    commit: git(['rev-parse', 'HEAD']),
    dirty: status === null ? null : status.length > 0,
    startedAt: new Date().toISOString(),
  }
}

export function machineAtEnd(start: ReturnType<typeof machineAtStart>): Machine {
  return {
    ...start,
    loadAverage: { start: start.loadAverage.start, end: loadavg().map(round2) },
    finishedAt: new Date().toISOString(),
  }
}
