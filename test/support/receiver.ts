import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { once } from 'node:events';

export interface Received {
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
  at: number;
}

/**
 * A real HTTP receiver on a fixed loopback port that can be down (not listening: connection refused)
 * and brought up later. `answer` decides the reply to each request (default 200 `{"errcode":0}`).
 */
export class Receiver {
  readonly got: Received[] = [];
  private server: Server | undefined;
  answer: (r: Received) => { status: number; body?: unknown } = () => ({ status: 200, body: { errcode: 0, errmsg: 'ok' } });

  constructor(readonly port: number) {}

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  async up(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.setEncoding('utf8');
      req.on('data', (c: string) => (body += c));
      req.on('end', () => {
        const r = { url: req.url ?? '', headers: req.headers, body, at: Date.now() };
        this.got.push(r);
        const a = this.answer(r);
        res.writeHead(a.status, { 'content-type': 'application/json' });
        res.end(a.body === undefined ? '' : JSON.stringify(a.body));
      });
    });
    this.server.listen(this.port, '127.0.0.1');
    await once(this.server, 'listening');
  }

  async down(): Promise<void> {
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }
}
