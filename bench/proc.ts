/**
 * What the kernel knows about a receiver process: CPU time (all its threads,
 * live and exited, from /proc/PID/stat) and memory (VmHWM, VmRSS from
 * /proc/PID/status); and a description of this machine for the report.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';

let ticksPerSecond: number | undefined;

function clockTicks(): number {
  if (ticksPerSecond === undefined) {
    try {
      ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
    } catch {
      ticksPerSecond = 100;
    }
  }
  return ticksPerSecond;
}

/** utime + stime of the whole thread group, in seconds. */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may contain spaces and parentheses: split after its last ')'.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // fields[0] is field 3 (state); utime and stime are fields 14 and 15.
  return (Number(fields[11]) + Number(fields[12])) / clockTicks();
}

/** A `Vm*` line of /proc/PID/status in MiB (e.g. "VmHWM", "VmRSS"). */
export function vmMiB(pid: number, key: 'VmHWM' | 'VmRSS'): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const m = new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status);
  if (m === null) throw new Error(`/proc/${pid}/status has no ${key}`);
  return Number(m[1]) / 1024;
}

export interface Machine {
  readonly cpus: number;
  readonly model: string;
  readonly memoryGiB: number;
  readonly kernel: string;
  readonly node: string;
}

export function machine(): Machine {
  let model = os.cpus()[0]?.model ?? 'unknown';
  try {
    const m = /^model name\s*:\s*(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
    if (m !== null) model = m[1].trim();
  } catch {
    // not Linux: keep os.cpus()
  }
  return {
    cpus: os.availableParallelism?.() ?? os.cpus().length,
    model,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    kernel: os.release(),
    node: process.version,
  };
}

/** 1-minute load average, rounded. */
export function loadAverage(): number {
  return Math.round(os.loadavg()[0] * 100) / 100;
}
