/**
 * The output instance: serialize a batch, hand it to the writer in one
 * write, and report what happened. Never throws from send(): a file error is
 * a `retry` (the core backs off and tries the same batch again).
 */
import type { Batch, OutputContext, OutputInstance, SendResult } from '../../src/core/plugin-api.ts';
import type { FileOutputSettings } from './config.ts';
import { joinJsonLines, serializeBatch } from './format.ts';
import { JsonlFileWriter } from './writer.ts';

const OK: SendResult = Object.freeze({ status: 'ok' });
const WRITE_FAILED = Object.freeze({ error_type: 'write_failed', stage: 'sending' });

export class FileOutput implements OutputInstance {
  private readonly writer: JsonlFileWriter;

  constructor(
    private readonly ctx: OutputContext,
    settings: FileOutputSettings,
    now?: () => number,
  ) {
    this.writer = new JsonlFileWriter({
      pattern: settings.pattern,
      maxSize: settings.maxSize,
      fsync: settings.fsync,
      mode: settings.mode,
      log: ctx.log,
      now,
    });
  }

  start(): Promise<void> {
    return this.writer.start();
  }

  async send(batch: Batch): Promise<SendResult> {
    // The core encoded the records when they entered the buffer (batchFormat 'json').
    if (batch.json !== undefined) return this.write(batch.json.length === 0 ? undefined : joinJsonLines(batch.json), []);
    if (batch.records.length === 0) return OK;
    const { data, lines, rejected } = serializeBatch(batch.records);
    if (lines === 0) {
      return { status: 'reject', reason: rejected.map((r) => r.reason).join('; ') };
    }
    return this.write(data, rejected);
  }

  private async write(data: Buffer | undefined, rejected: { index: number; reason: string }[]): Promise<SendResult> {
    if (data === undefined) return OK;
    const outcome = await this.writer.write(data);
    if (!outcome.ok) {
      this.ctx.metrics.increment('component_errors_total', 1, WRITE_FAILED);
      return { status: 'retry', reason: outcome.reason };
    }
    return rejected.length === 0 ? OK : { status: 'partial', rejected };
  }

  reopen(): Promise<void> {
    return this.writer.reopen();
  }

  stop(): Promise<void> {
    return this.writer.close();
  }
}
