/**
 * Backpressure for a whole input: when emit() returns a promise, every
 * reader of the input pauses (and readers that join meanwhile start paused)
 * until the newest such promise settles. Pausing only the reader that
 * emitted would let every other connection push one more chunk each: with
 * thousands of connections that is not bounded memory.
 */

/** A reader that can stop while an output queue is full (a socket, a pipe). */
export interface Pausable {
  pause(): void;
  resume(): void;
}

export class PauseGate {
  private readonly readers = new Set<Pausable>();
  private blocked: Promise<void> | undefined;

  /** True while an emit() promise is pending. */
  get isBlocked(): boolean {
    return this.blocked !== undefined;
  }

  /** Adds a reader; paused at once if the input is blocked now. */
  register(reader: Pausable): void {
    this.readers.add(reader);
    if (this.blocked !== undefined) reader.pause();
  }

  unregister(reader: Pausable): void {
    this.readers.delete(reader);
  }

  /** Pauses every reader until `wait` settles (unless a newer wait came meanwhile). */
  block(wait: Promise<void>): void {
    const wasBlocked = this.blocked !== undefined;
    this.blocked = wait;
    if (!wasBlocked) for (const r of this.readers) r.pause();
    const release = (): void => {
      // Only the newest promise releases: an older one settling does not mean there is room now.
      if (this.blocked !== wait) return;
      this.blocked = undefined;
      for (const r of this.readers) r.resume();
    };
    wait.then(release, release);
  }
}
