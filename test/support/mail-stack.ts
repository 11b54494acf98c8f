/**
 * A real mail system on loopback for the bounce tests: a private Postfix instance (`postfix -c
 * DIR`, its own main.cf, master.cf, queue, data directory and a free port) and a private Dovecot
 * (`dovecot -c DIR/dovecot.conf`, its own base_dir and a free IMAP port). Postfix accepts mail
 * for any address at the participants' domain; an unknown user is accepted and then bounced, so
 * Postfix itself writes the RFC 3464 DSN and delivers it to the envelope sender,
 * bounces+<tag>@study.test, whose Maildir Dovecot serves over IMAP. See mail-stack-config.ts for
 * the settings and why.
 *
 * Needs root (Postfix's master and Dovecot drop privileges per service) and Debian's `postfix`
 * and `dovecot-imapd`; `mailStackAvailable()` says which is missing so tests skip with the fix.
 * Both daemons are stopped by the PIDs in their own master.pid files, never by name: a system
 * Postfix or Dovecot, if any, is left alone.
 */
import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  chownSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ImapFlow } from 'imapflow';
import { freeLoopbackPorts, isProcessAlive, readPidFile, stopByPid, waitFor, waitForGreeting } from './daemons.js';
import {
  dovecotConf,
  dovecotPasswd,
  paths,
  postfixBounceTemplates,
  postfixMailboxes,
  postfixMainCf,
  postfixMasterCf,
  postfixTransport,
  type StackLayout,
} from './mail-stack-config.js';

/** Where Debian's packages put what we run (postfix: the first two; dovecot-imapd: the imap binary). */
export const DEBIAN_BINARIES = {
  postfix: '/usr/sbin/postfix',
  postfixMaster: '/usr/lib/postfix/sbin/master',
  dovecot: '/usr/sbin/dovecot',
  dovecotImap: '/usr/lib/dovecot/imap',
};
const POSTFIX = DEBIAN_BINARIES.postfix;
const DOVECOT = DEBIAN_BINARIES.dovecot;
/** Debian's nobody/nogroup: owns the Maildirs; virtual(8) refuses root and Dovecot would too. */
const MAIL_UID = 65534;
const MAIL_GID = 65534;

export type Mailbox = 'bounces' | 'participant';

export interface MailStack {
  host: '127.0.0.1';
  smtpPort: number;
  imapPort: number;
  imapUser: string;
  imapPass: string;
  /** The study's domain: the bounce mailbox lives here. */
  studyDomain: string;
  /** Any address here is accepted by SMTP; only `reachableParticipant` has a mailbox. */
  participantDomain: string;
  /** Every address here is deferred (4.4.1) and retried: Postfix sends a "delayed" DSN within ~2 s. */
  deferredDomain: string;
  /** The envelope sender to tag (`tagAddress`): `bounces+@study.test`. */
  returnPath: string;
  reachableParticipant: string;
  dir: string;
  postfixPid: number;
  dovecotPid: number;
  /** How long startMailStack took, both daemons up and greeting. */
  startupMs: number;
  /** Resolves with the mailbox's messages (oldest first) once there are at least n. */
  waitForMessages(n: number, timeoutMs?: number, mailbox?: Mailbox): Promise<Buffer[]>;
  /** Postfix's and Dovecot's logs, for a failing test's message. */
  logs(): string;
  /** Stops both daemons by PID and removes the temp folder. Safe to call twice. */
  stop(): Promise<void>;
}

export type Availability = { ok: true } | { ok: false; reason: string };

export function mailStackAvailable(binaries = DEBIAN_BINARIES): Availability {
  if (process.platform !== 'linux') return { ok: false, reason: 'the mail stack runs on Linux only' };
  const missing = [
    ...(existsSync(binaries.postfix) && existsSync(binaries.postfixMaster) ? [] : ['postfix']),
    ...(existsSync(binaries.dovecot) && existsSync(binaries.dovecotImap) ? [] : ['dovecot-imapd']),
  ];
  if (missing.length > 0) {
    return {
      ok: false,
      reason: `${missing.length > 1 ? 'Debian packages' : 'Debian package'} ${missing.join(' and ')} not installed: run \`apt-get install -y ${missing.join(' ')}\` (.ci/run does it) to run the real Postfix/Dovecot tests`,
    };
  }
  if (process.getuid?.() !== 0) {
    return { ok: false, reason: 'the mail stack must start as root (Postfix and Dovecot drop privileges themselves)' };
  }
  const version = spawnSync(binaries.dovecot, ['--version'], { encoding: 'utf8' }).stdout.trim();
  if (!version.startsWith('2.3.')) {
    return {
      ok: false,
      reason: `Dovecot ${version || '(unknown version)'} found; the test config (mail-stack-config.ts) is written for Dovecot 2.3, Debian 12's`,
    };
  }
  return { ok: true };
}

/**
 * Runs a start command and resolves on its exit status. Output is not piped: processes that
 * `postfix start` leaves running keep its stdout open, and waiting for that pipe to close added
 * ~30 s. Errors land in the daemons' own log files, which startMailStack reports.
 */
function run(file: string, args: string[]): Promise<void> {
  const { MAIL_CONFIG: _ignored, ...env } = process.env;
  return new Promise((resolve, reject) => {
    const child = spawn(file, args, { env, stdio: 'ignore' });
    child.once('error', reject);
    child.once('exit', (code, signal) => {
      if (code === 0) resolve();
      else reject(new Error(`\`${file} ${args.join(' ')}\` exited with ${code ?? signal}.`));
    });
  });
}

function readIfThere(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

function makeMaildir(path: string): void {
  for (const sub of ['cur', 'new', 'tmp']) mkdirSync(join(path, sub), { recursive: true });
}

/** Every file and folder under `path` (and `path` itself) owned by the mail user. */
function chownTree(path: string): void {
  chownSync(path, MAIL_UID, MAIL_GID);
  for (const entry of readdirSync(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory()) chownTree(child);
    else chownSync(child, MAIL_UID, MAIL_GID);
  }
}

function readMaildir(path: string): Buffer[] {
  // Maildir names start with the delivery time in seconds, then a unique part: sorting the
  // names is close enough to delivery order for tests that wait for one message at a time.
  const files = ['new', 'cur'].flatMap((sub) =>
    existsSync(join(path, sub)) ? readdirSync(join(path, sub)).map((name) => ({ name, sub })) : [],
  );
  files.sort((a, b) => a.name.localeCompare(b.name));
  return files.map((f) => readFileSync(join(path, f.sub, f.name)));
}

/** Starts the stack, or resolves undefined when mailStackAvailable() says it cannot run here. */
export async function startMailStack(): Promise<MailStack | undefined> {
  if (!mailStackAvailable().ok) return undefined;
  const started = Date.now();
  // /tmp, not os.tmpdir(): the postfix and nobody users must be able to walk the path, and Unix
  // socket paths under it must stay short (108 bytes).
  const dir = mkdtempSync('/tmp/mail-stack-');
  chmodSync(dir, 0o755);
  const p = paths(dir);
  const [smtpPort, imapPort] = (await freeLoopbackPorts(2)) as [number, number];
  const layout: StackLayout = {
    dir,
    smtpPort,
    imapPort,
    studyDomain: 'study.test',
    participantDomain: 'participants.test',
    deferredDomain: 'slow.participants.test',
    mailboxes: [
      { address: 'bounces@study.test', maildir: 'study.test/bounces/' },
      { address: 'reachable@participants.test', maildir: 'participants.test/reachable/' },
    ],
    imapUser: 'bounces',
    imapPass: `imap-${Math.random().toString(36).slice(2, 12)}`,
    mailUid: MAIL_UID,
    mailGid: MAIL_GID,
  };
  const maildirs: Record<Mailbox, string> = {
    bounces: join(p.virtualBase, 'study.test/bounces'),
    participant: join(p.virtualBase, 'participants.test/reachable'),
  };
  const logs = (): string =>
    `--- postfix.log\n${readIfThere(p.postfixLog)}\n--- dovecot.log\n${readIfThere(p.dovecotLog)}`;

  let postfixPid: number | undefined;
  let dovecotPid: number | undefined;
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    process.off('exit', killOnExit);
    if (dovecotPid !== undefined) await stopByPid(dovecotPid);
    if (postfixPid !== undefined) await stopByPid(postfixPid);
    rmSync(dir, { recursive: true, force: true });
  };
  // A test process that dies without afterAll must not leave daemons behind.
  const killOnExit = (): void => {
    for (const pid of [dovecotPid, postfixPid]) if (pid !== undefined && isProcessAlive(pid)) process.kill(pid);
  };
  process.on('exit', killOnExit);

  try {
    // Root-owned like /var/spool/postfix; `postfix start` creates the queue's subfolders.
    for (const folder of [p.postfixConfig, p.queue]) mkdirSync(folder, { mode: 0o755 });
    mkdirSync(p.dovecotBase, { recursive: true });
    mkdirSync(p.dovecotState, { recursive: true });
    writeFileSync(join(p.postfixConfig, 'main.cf'), postfixMainCf(layout));
    writeFileSync(join(p.postfixConfig, 'master.cf'), postfixMasterCf(layout));
    writeFileSync(join(p.postfixConfig, 'mailboxes'), postfixMailboxes(layout));
    writeFileSync(join(p.postfixConfig, 'transport'), postfixTransport(layout));
    writeFileSync(join(p.postfixConfig, 'bounce.cf'), postfixBounceTemplates());
    writeFileSync(p.dovecotConfig, dovecotConf(layout));
    writeFileSync(p.dovecotPasswd, dovecotPasswd(layout, maildirs.bounces), { mode: 0o644 });
    makeMaildir(maildirs.bounces);
    makeMaildir(maildirs.participant);
    chownTree(p.virtualBase);

    // `postfix start` returns once the master is up (postfix-script runs `master -w`).
    await run(POSTFIX, ['-c', p.postfixConfig, 'start']);
    postfixPid = await readPidFile(join(p.queue, 'pid/master.pid'), 10_000);
    await waitForGreeting(smtpPort, '220 ', 10_000);
    await run(DOVECOT, ['-c', p.dovecotConfig]);
    dovecotPid = await readPidFile(join(p.dovecotBase, 'master.pid'), 10_000);
    await waitForGreeting(imapPort, '* OK', 10_000);
  } catch (error) {
    const text = `${(error as Error).message}\n${logs()}`;
    await stop();
    throw new Error(`The test mail stack did not start: ${text}`);
  }

  return {
    host: '127.0.0.1',
    smtpPort,
    imapPort,
    imapUser: layout.imapUser,
    imapPass: layout.imapPass,
    studyDomain: layout.studyDomain,
    participantDomain: layout.participantDomain,
    deferredDomain: layout.deferredDomain,
    returnPath: `bounces+@${layout.studyDomain}`,
    reachableParticipant: `reachable@${layout.participantDomain}`,
    dir,
    postfixPid,
    dovecotPid,
    startupMs: Date.now() - started,
    waitForMessages: async (n, timeoutMs = 10_000, mailbox = 'bounces') => {
      try {
        return await waitFor(
          `${n} message(s) in the ${mailbox} mailbox`,
          () => {
            const messages = readMaildir(maildirs[mailbox]);
            return messages.length >= n ? messages : undefined;
          },
          timeoutMs,
        );
      } catch (error) {
        throw new Error(`${(error as Error).message}\n${logs()}`);
      }
    },
    logs,
    stop,
  };
}

/** An IMAP session as the stack's test user (plain loopback). The caller logs out. */
export async function connectImap(stack: MailStack): Promise<ImapFlow> {
  const client = new ImapFlow({
    host: stack.host,
    port: stack.imapPort,
    secure: false,
    auth: { user: stack.imapUser, pass: stack.imapPass },
    logger: false,
  });
  await client.connect();
  return client;
}

/** Runs `fn` with `mailbox` locked in a fresh session, then releases it and logs out. */
export async function withMailbox<T>(
  stack: MailStack,
  fn: (client: ImapFlow) => Promise<T>,
  mailbox = 'INBOX',
): Promise<T> {
  const client = await connectImap(stack);
  const lock = await client.getMailboxLock(mailbox);
  try {
    return await fn(client);
  } finally {
    lock.release();
    await client.logout();
  }
}
