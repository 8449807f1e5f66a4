/**
 * Dead letters: records an output can never deliver (rejected, or retried
 * max_attempts times) are appended to a JSONL file, one line per record:
 *   {"time":"…","output":"local","reason":"…","record":{…}}
 * Nothing is dropped silently: if the file cannot be written, the caller
 * keeps the records and tries again.
 */
import { appendFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { isEncoded, type RecordEntry } from './record-json.ts';

export class DeadLetterFile {
  private tail: Promise<void> = Promise.resolve();
  private dirReady = false;

  constructor(readonly path: string, readonly output: string) {}

  /**
   * Appends one line per record (a record, or its JSON for an output that
   * takes JSON); `reasons` is one reason for all, or one per record.
   * Rejects on I/O errors.
   */
  write(records: readonly RecordEntry[], reasons: string | readonly string[]): Promise<void> {
    const time = new Date().toISOString();
    let text = '';
    for (let i = 0; i < records.length; i++) {
      const reason = typeof reasons === 'string' ? reasons : reasons[i];
      const r = records[i];
      if (isEncoded(r)) {
        // The record's JSON goes in as it is: the same line JSON.stringify would give.
        const head = JSON.stringify({ time, output: this.output, reason });
        text += `${head.slice(0, -1)},"record":${Buffer.from(r.buffer, r.byteOffset, r.byteLength).toString('utf8')}}\n`;
      } else {
        text += JSON.stringify({ time, output: this.output, reason, record: r }) + '\n';
      }
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
