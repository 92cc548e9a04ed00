// The local runtime's mail sink: an SMTP server on 127.0.0.1 that keeps every message it receives as an .eml file,
// so `npm start` users read alert e-mails without a mail provider (in AWS the same code sends through SES SMTP).
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { SMTPServer } from 'smtp-server';

export interface ReceivedMail {
  from: string;
  to: string[];
  raw: string;
  file: string | null;
}

export interface SmtpSink {
  port: number;
  received: ReceivedMail[];
  stop(): Promise<void>;
}

/** Starts the sink; `dir` null keeps messages in memory only (tests). */
export function startSmtpSink(opts: {
  host?: string;
  port: number;
  dir: string | null;
  onMail?: (m: ReceivedMail) => void;
}): Promise<SmtpSink> {
  const received: ReceivedMail[] = [];
  if (opts.dir) mkdirSync(opts.dir, { recursive: true });
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    size: 1024 * 1024,
    logger: false,
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        let file: string | null = null;
        if (opts.dir) {
          file = join(opts.dir, `${new Date().toISOString().replace(/[:.]/g, '-')}-${session.id}.eml`);
          writeFileSync(file, raw);
        }
        const mail: ReceivedMail = {
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw,
          file,
        };
        received.push(mail);
        opts.onMail?.(mail);
        callback();
      });
    },
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, opts.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      server.on('error', () => undefined);
      resolve({
        port: (server.server.address() as AddressInfo).port,
        received,
        stop: () => new Promise<void>((r) => server.close(() => r())),
      });
    });
  });
}
