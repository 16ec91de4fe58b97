import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';

export interface ReceivedMail {
  mailFrom: string;
  rcptTo: string[];
  raw: string;
  /** Whether the session had been upgraded with STARTTLS when the message arrived. */
  secure: boolean;
  user: string | undefined;
}

export interface SmtpHarness {
  port: number;
  received: ReceivedMail[];
  /** SMTP sessions opened so far (verify() and pooled sends each open one). */
  connections(): number;
  /** Resolves once `count` messages have arrived. */
  waitFor(count: number): Promise<ReceivedMail[]>;
  close(): Promise<void>;
}

/** A real SMTP server from the smtp-server package on 127.0.0.1, recording every message it accepts. */
export async function startSmtpServer(
  options: {
    credentials?: { user: string; pass: string };
    /** Recipients whose local part starts with this are refused with 550. */
    refusePrefix?: string;
    /** Do not offer STARTTLS, as a plain relay inside a private network would not. */
    plainOnly?: boolean;
  } = {},
): Promise<SmtpHarness> {
  const received: ReceivedMail[] = [];
  let connections = 0;
  const waiters: Array<{ count: number; resolve: (mails: ReceivedMail[]) => void }> = [];
  const notify = () => {
    for (const waiter of [...waiters]) {
      if (received.length >= waiter.count) {
        waiters.splice(waiters.indexOf(waiter), 1);
        waiter.resolve(received.slice());
      }
    }
  };

  const serverOptions: SMTPServerOptions = {
    logger: false,
    // Drop lingering (pooled) client connections quickly when the test stops the server.
    closeTimeout: 100,
    onConnect(_session, callback) {
      connections += 1;
      callback();
    },
    authOptional: !options.credentials,
    allowInsecureAuth: true,
    hideSTARTTLS: options.plainOnly ?? false,
    onAuth(auth, _session, callback) {
      const ok =
        options.credentials &&
        auth.username === options.credentials.user &&
        auth.password === options.credentials.pass;
      if (ok) callback(null, { user: auth.username });
      else callback(new Error('Invalid username or password'));
    },
    onRcptTo(address, _session, callback) {
      if (options.refusePrefix && address.address.startsWith(options.refusePrefix)) {
        const err = Object.assign(new Error('Mailbox unavailable'), { responseCode: 550 });
        callback(err);
        return;
      }
      callback();
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (chunk: Buffer) => chunks.push(chunk));
      stream.on('end', () => {
        const mailFrom = session.envelope.mailFrom;
        received.push({
          mailFrom: mailFrom ? mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : undefined,
        });
        callback();
        notify();
      });
    },
  };
  const server = new SMTPServer(serverOptions);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.server.address() as AddressInfo).port;

  return {
    port,
    received,
    connections: () => connections,
    waitFor(count: number) {
      if (received.length >= count) return Promise.resolve(received.slice());
      return new Promise((resolve) => waiters.push({ count, resolve }));
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A port on which nothing listens: bound, then released. */
export async function deadPort(): Promise<number> {
  const probe = net.createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', () => resolve()));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((resolve) => probe.close(() => resolve()));
  return port;
}

/** Accepts TCP connections and never says a word, like a hung mail server. */
export async function startSilentServer(): Promise<{ port: number; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
