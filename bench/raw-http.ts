// The load generator's HTTP client: one keep-alive connection per lane, writing requests encoded
// before the clock starts and reading only the status line and the length of each answer. Twilio's
// callbacks come from outside the machine; on this 2-core machine every microsecond the generator
// spends is taken from the server, so it should cost about what wrk costs, not what node:http does.
import net from 'node:net';

const HEADER_END = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = /\r\ncontent-length:\s*(\d+)/i;
const CONNECTION_CLOSE = /\r\nconnection:\s*close/i;

/** A request encoded once: request line, headers and body. */
export function encodeRequest(o: { method: string; host: string; path: string; headers: Record<string, string>; body: string }): Buffer {
  const body = Buffer.from(o.body, 'utf8');
  const head = [`${o.method} ${o.path} HTTP/1.1`, `host: ${o.host}`, `content-length: ${body.length}`, ...Object.entries(o.headers).map(([k, v]) => `${k}: ${v}`)];
  return Buffer.concat([Buffer.from(head.join('\r\n') + '\r\n\r\n', 'latin1'), body]);
}

/** One connection that sends one request at a time and resolves with the answer's status code. */
export class RawConnection {
  private socket: net.Socket | null = null;
  private buffered: Buffer = Buffer.alloc(0);
  private waiting: { resolve: (status: number) => void; reject: (err: Error) => void } | null = null;

  constructor(private readonly port: number, private readonly host = '127.0.0.1') {}

  private connect(): net.Socket {
    const socket = net.connect({ port: this.port, host: this.host, noDelay: true });
    socket.on('data', (chunk) => this.onData(chunk));
    const fail = (err?: Error) => {
      // A connection the server closed after its last answer fails nothing still waiting.
      if (this.socket !== socket) return;
      this.socket = null;
      const w = this.waiting;
      this.waiting = null;
      w?.reject(err ?? new Error('connection closed before the answer'));
    };
    socket.on('error', fail);
    socket.on('close', () => fail());
    this.buffered = Buffer.alloc(0);
    return socket;
  }

  send(request: Buffer): Promise<number> {
    if (this.waiting) throw new Error('one request at a time on a connection');
    this.socket ??= this.connect();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket!.write(request);
    });
  }

  private onData(chunk: Buffer): void {
    this.buffered = this.buffered.length ? Buffer.concat([this.buffered, chunk]) : chunk;
    const end = this.buffered.indexOf(HEADER_END);
    if (end === -1) return;
    const head = this.buffered.toString('latin1', 0, end);
    const length = Number(CONTENT_LENGTH.exec(head)?.[1] ?? 0);
    if (this.buffered.length < end + 4 + length) return;
    this.buffered = this.buffered.subarray(end + 4 + length);
    const status = Number(head.slice(9, 12));
    if (CONNECTION_CLOSE.test(head)) {
      this.socket?.destroy();
      this.socket = null;
    }
    const w = this.waiting;
    this.waiting = null;
    w?.resolve(status);
  }

  close(): void {
    this.socket?.destroy();
    this.socket = null;
  }
}
