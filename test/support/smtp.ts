import { SMTPServer } from 'smtp-server';

export interface Mail { from: string; to: string[]; raw: string }

/** A real local SMTP server (smtp-server) that requires login and keeps what it receives. */
export async function startSmtp(port: number, user: string, pass: string): Promise<{ mails: Mail[]; close(): Promise<void> }> {
  const mails: Mail[] = [];
  const server = new SMTPServer({
    authOptional: false, disabledCommands: ['STARTTLS'], logger: false,
    onAuth: (auth, _s, cb) => (auth.username === user && auth.password === pass ? cb(null, { user }) : cb(new Error('bad login'))),
    onData: (stream, session, cb) => {
      let raw = '';
      stream.setEncoding('utf8');
      stream.on('data', (c: string) => (raw += c));
      stream.on('end', () => {
        mails.push({ from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '', to: session.envelope.rcptTo.map((r) => r.address), raw });
        cb();
      });
    },
  });
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', r));
  return { mails, close: () => new Promise<void>((r) => server.close(() => r())) };
}
