// A real webhook receiver on 127.0.0.1 for the notification tests: records every request (headers and
// the raw body, byte for byte) and answers as told: a status sequence (the last one repeats), or no
// answer at all (a hung receiver). It can stop and start again on the same port (a receiver that is down).
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  body: string;
}

export type Answer = number | { status: number; headers?: Record<string, string> } | 'hang';

export class Receiver {
  readonly received: Received[] = [];
  answers: Answer[] = [200];
  private server: Server | undefined;
  private answered = 0;

  constructor(public port = 0) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks/transcode`;
  }

  async start(): Promise<this> {
    const server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        this.received.push({ method: req.method ?? '', path: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
        const answer = this.answers[Math.min(this.answered, this.answers.length - 1)] ?? 200;
        this.answered += 1;
        if (answer === 'hang') return;
        const { status, headers = {} } = typeof answer === 'number' ? { status: answer } : answer;
        res.writeHead(status, { 'content-type': 'text/plain', ...headers });
        res.end(status < 300 ? 'ok' : `answer ${status}`);
      });
    });
    await new Promise<void>((ok, fail) => {
      server.once('error', fail);
      server.listen(this.port, '127.0.0.1', () => ok());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
    return this;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((ok) => server.close(() => ok()));
  }
}
