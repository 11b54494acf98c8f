/**
 * The benchmark's yardstick: a minimal SMTP client that pipelines each transaction (RFC 2920:
 * MAIL, RCPT and DATA in one write, the body and the next commands as soon as allowed) over N
 * connections. No error handling beyond "stop": it only exists to measure the sink's ceiling.
 */
import { connect, type Socket } from 'node:net';

class ReplyReader {
  private buffer = '';
  private waiters: ((line: string) => void)[] = [];
  private replies: string[] = [];

  constructor(socket: Socket) {
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.buffer += chunk;
      for (let newline = this.buffer.indexOf('\r\n'); newline !== -1; newline = this.buffer.indexOf('\r\n')) {
        const line = this.buffer.slice(0, newline);
        this.buffer = this.buffer.slice(newline + 2);
        if (line[3] === '-') continue; // continuation of a multi-line reply
        const waiter = this.waiters.shift();
        if (waiter) waiter(line);
        else this.replies.push(line);
      }
    });
  }

  next(): Promise<string> {
    const ready = this.replies.shift();
    if (ready !== undefined) return Promise.resolve(ready);
    return new Promise((resolve) => this.waiters.push(resolve));
  }
}

async function expectCode(reader: ReplyReader, code: string): Promise<void> {
  const reply = await reader.next();
  if (!reply.startsWith(code)) throw new Error(`expected ${code}, got ${reply}`);
}

export interface RawMessage {
  from: string;
  to: string;
  body: Buffer;
}

function dotStuff(body: Buffer): Buffer {
  const text = body.toString('latin1').replace(/\r\n\./g, '\r\n..');
  return Buffer.from(`${text.startsWith('.') ? '.' : ''}${text}${text.endsWith('\r\n') ? '' : '\r\n'}.\r\n`, 'latin1');
}

export async function sendPipelined(port: number, messages: RawMessage[], connections: number): Promise<void> {
  let next = 0;
  const worker = async (): Promise<void> => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const reader = new ReplyReader(socket);
    await expectCode(reader, '220');
    socket.write('EHLO bench.local\r\n');
    await expectCode(reader, '250');
    for (;;) {
      const message = messages[next++];
      if (message === undefined) break;
      socket.write(`MAIL FROM:<${message.from}>\r\nRCPT TO:<${message.to}>\r\nDATA\r\n`);
      await expectCode(reader, '250');
      await expectCode(reader, '250');
      await expectCode(reader, '354');
      socket.write(dotStuff(message.body));
      await expectCode(reader, '250');
    }
    socket.write('QUIT\r\n');
    await expectCode(reader, '221');
    socket.on('error', () => undefined); // the sink may reset the socket as it closes
    socket.end();
  };
  await Promise.all(Array.from({ length: connections }, worker));
}
