// A fake PostgreSQL server that records what a client sends it: whether it asked for SSL, the startup
// parameters (user, database, options, application_name, …) and every password it sent when asked for
// one in clear text. It never accepts a login: after the password it answers 28P01 and hangs up. For
// proving where a password does (not) travel and which parameters reach a server.
import { createServer, type Server, type Socket } from 'node:net';

export interface FakeStartup {
  /** An SSLRequest came before the startup message. */
  sslRequested: boolean;
  /** The startup message's parameters, exactly as sent. */
  params: Record<string, string>;
  /** Password messages received (the text of each). */
  passwords: string[];
}

export interface FakePgServer {
  port: number;
  /** One entry per connection, in order. */
  startups: FakeStartup[];
  /** Every password any client sent. */
  passwords(): string[];
  close(): Promise<void>;
}

const SSL_REQUEST = 80877103;
const GSSENC_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const PROTOCOL_3 = 196608;

function message(type: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(type, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

function authCleartext(): Buffer {
  const body = Buffer.alloc(4);
  body.writeInt32BE(3, 0);
  return message('R', body);
}

function errorResponse(code: string, text: string): Buffer {
  const fields = [`SFATAL`, `VFATAL`, `C${code}`, `M${text}`].map((f) => Buffer.from(`${f}\0`, 'utf8'));
  return message('E', Buffer.concat([...fields, Buffer.from([0])]));
}

function handle(socket: Socket, startup: FakeStartup): void {
  let buffer = Buffer.alloc(0);
  let started = false;
  socket.on('error', () => undefined);
  socket.on('data', (chunk: Buffer) => {
    buffer = Buffer.concat([buffer, chunk]);
    for (;;) {
      if (!started) {
        if (buffer.length < 8) return;
        const length = buffer.readInt32BE(0);
        if (buffer.length < length) return;
        const code = buffer.readInt32BE(4);
        const body = buffer.subarray(8, length);
        buffer = buffer.subarray(length);
        if (code === SSL_REQUEST || code === GSSENC_REQUEST) {
          if (code === SSL_REQUEST) startup.sslRequested = true;
          socket.write('N');
          continue;
        }
        if (code === CANCEL_REQUEST) {
          socket.end();
          return;
        }
        if (code !== PROTOCOL_3) {
          socket.destroy();
          return;
        }
        const parts = body.toString('utf8').split('\0');
        for (let i = 0; i + 1 < parts.length && parts[i] !== ''; i += 2) startup.params[parts[i]] = parts[i + 1];
        started = true;
        socket.write(authCleartext());
        continue;
      }
      if (buffer.length < 5) return;
      const type = String.fromCharCode(buffer[0]);
      const length = buffer.readInt32BE(1);
      if (buffer.length < 1 + length) return;
      const body = buffer.subarray(5, 1 + length);
      buffer = buffer.subarray(1 + length);
      if (type === 'p') {
        const text = body.toString('utf8');
        startup.passwords.push(text.endsWith('\0') ? text.slice(0, -1) : text);
        socket.end(errorResponse('28P01', `password authentication failed for user "${startup.params.user ?? ''}"`));
        return;
      }
      if (type === 'X') {
        socket.end();
        return;
      }
    }
  });
}

export async function startFakePgServer(): Promise<FakePgServer> {
  const startups: FakeStartup[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const startup: FakeStartup = { sslRequested: false, params: {}, passwords: [] };
    startups.push(startup);
    handle(socket, startup);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return {
    port,
    startups,
    passwords: () => startups.flatMap((s) => s.passwords),
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
