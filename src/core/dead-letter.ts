/**
 * Dead letters: records an output can never deliver (rejected, or retried
 * max_attempts times) are appended to a JSONL file, one line per record:
 *   {"time":"…","output":"local","reason":"…","record":{…}}
 * Nothing is dropped silently: if the file cannot be written, the caller
 * keeps the records and tries again.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { OgrtRecord } from './record.ts';

export class DeadLetterFile {
  private tail: Promise<void> = Promise.resolve();
  private dirReady = false;

  constructor(readonly path: string, readonly output: string) {}

  /** Appends one line per record; `reasons` is one reason for all, or one per record. Rejects on I/O errors. */
  write(records: readonly OgrtRecord[], reasons: string | readonly string[]): Promise<void> {
    const time = new Date().toISOString();
    let text = '';
    for (let i = 0; i < records.length; i++) {
      const reason = typeof reasons === 'string' ? reasons : reasons[i];
      text += JSON.stringify({ time, output: this.output, reason, record: records[i] }) + '\n';
    }
    // Writes are serialised so lines of concurrent batches never interleave.
    const result = this.tail.then(() => this.append(text));
    this.tail = result.catch(() => undefined);
    return result;
  }

  private async append(text: string): Promise<void> {
    if (!this.dirReady) {
      await mkdir(path.dirname(this.path), { recursive: true });
      this.dirReady = true;
    }
    await appendFile(this.path, text, { encoding: 'utf8', mode: 0o640 });
  }
}
