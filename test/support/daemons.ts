/**
 * Helpers for daemons a test starts that fork away from Node's child tree (Postfix's and
 * Dovecot's masters): free loopback ports, PID files, "is it up", and stopping by PID.
 *
 * We only ever signal PIDs we read from the PID files of the instances we started (and their
 * direct children), never a process found by name: a system Postfix or Dovecot on the same
 * machine is none of our business.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';

/** Ports the kernel hands out for port 0, all reserved at once so they differ from each other. */
export async function freeLoopbackPorts(count: number): Promise<number[]> {
  const servers: Server[] = [];
  try {
    const ports: number[] = [];
    for (let i = 0; i < count; i++) {
      const server = createServer();
      servers.push(server);
      await new Promise<void>((resolve, reject) => {
        server.once('error', reject);
        server.listen(0, '127.0.0.1', () => resolve());
      });
      const address = server.address();
      if (address === null || typeof address === 'string') throw new Error('no port for a loopback listener');
      ports.push(address.port);
    }
    return ports;
  } finally {
    await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
  }
}

/**
 * Whether a PID is a live process. A zombie counts as gone: a daemon's master is re-parented
 * to PID 1 once it forks away, and on some machines PID 1 reaps late, so `kill(pid, 0)` alone
 * would call an exited master "running".
 */
export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return processState(pid) !== 'Z';
  } catch {
    return false; // gone between the two checks
  }
}

/** The state letter from /proc/PID/stat (after the command name, which may hold spaces). */
function processState(pid: number): string {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
}

/** Direct children of a process (Postfix's smtpd, qmgr, ...; Dovecot's log, config, imap-login, ...). */
export function childPids(parent: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === parent) children.push(Number(entry));
    } catch {
      // exited while we looked
    }
  }
  return children;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export async function waitFor<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
  timeoutMs: number,
  intervalMs = 50,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`Timed out after ${timeoutMs} ms waiting for ${what}.`);
    await sleep(intervalMs);
  }
}

/** The PID in a daemon's PID file (Postfix pads it with spaces), once the file is there. */
export function readPidFile(path: string, timeoutMs: number): Promise<number> {
  return waitFor(
    `the PID file ${path}`,
    () => {
      try {
        const pid = Number.parseInt(readFileSync(path, 'utf8').trim(), 10);
        return Number.isInteger(pid) && pid > 1 ? pid : undefined;
      } catch {
        return undefined;
      }
    },
    timeoutMs,
  );
}

/** Resolves with the server's first line once a TCP service on loopback greets with `prefix`. */
export function waitForGreeting(port: number, prefix: string, timeoutMs: number): Promise<string> {
  const once = (): Promise<string | undefined> =>
    new Promise((resolve) => {
      const socket = connect({ host: '127.0.0.1', port });
      let data = '';
      const done = (line: string | undefined): void => {
        socket.destroy();
        resolve(line);
      };
      socket.setTimeout(1000, () => done(undefined));
      socket.on('error', () => done(undefined));
      socket.on('data', (chunk: Buffer) => {
        data += chunk.toString('latin1');
        const end = data.indexOf('\n');
        if (end >= 0) done(data.startsWith(prefix) ? data.slice(0, end).trim() : undefined);
      });
    });
  return waitFor(`a "${prefix}" greeting on 127.0.0.1:${port}`, once, timeoutMs, 100);
}

/**
 * Stops a daemon's master by PID: SIGTERM (both masters then stop their children), wait, then
 * SIGKILL the master and any child still there. Resolves once none of them is alive.
 */
export async function stopByPid(pid: number, timeoutMs = 5000): Promise<void> {
  if (!isProcessAlive(pid)) return;
  const family = [pid, ...childPids(pid)];
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const deadline = Date.now() + timeoutMs;
  while (family.some(isProcessAlive) && Date.now() < deadline) await sleep(50);
  for (const p of family.filter(isProcessAlive)) {
    try {
      process.kill(p, 'SIGKILL');
    } catch {
      // already gone
    }
  }
  await waitFor(`PIDs ${family.join(', ')} to exit`, () => (family.some(isProcessAlive) ? undefined : true), 2000);
}
