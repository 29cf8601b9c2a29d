import type { Writable } from 'node:stream';

/**
 * Text written to a stream in chunks of about 64 KB, waiting whenever the stream is full (a slow
 * disk or a reader that pauses), so an export of any size never piles up in memory. The stream's
 * first error (a full disk, a reader gone) fails the next write.
 */
export class TextSink {
  private buffer: string[] = [];
  private buffered = 0;
  private failure: Error | null = null;

  constructor(private readonly stream: Writable, private readonly chunkChars = 64 * 1024) {
    stream.on('error', (err) => {
      this.failure ??= err;
    });
  }

  /** Until the stream takes more; 'error' also ends the wait (a stream that fails never drains). */
  private drained(): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        this.stream.off('drain', done);
        this.stream.off('error', done);
        resolve();
      };
      this.stream.on('drain', done);
      this.stream.on('error', done);
    });
  }

  async write(text: string): Promise<void> {
    this.buffer.push(text);
    this.buffered += text.length;
    if (this.buffered >= this.chunkChars) await this.flush();
  }

  async flush(): Promise<void> {
    if (this.failure) throw this.failure;
    if (!this.buffered) return;
    const chunk = this.buffer.join('');
    this.buffer = [];
    this.buffered = 0;
    if (!this.stream.write(chunk, 'utf8')) await this.drained();
    if (this.failure) throw this.failure;
  }
}
