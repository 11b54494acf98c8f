/**
 * The configuration files of the test mail stack (see mail-stack.ts). Everything lives under one
 * temp folder; nothing refers to /etc/postfix's or /etc/dovecot's settings, so a system
 * instance (running or not) is neither used nor disturbed.
 */

export interface StackLayout {
  /** The temp folder everything lives in. */
  dir: string;
  smtpPort: number;
  imapPort: number;
  studyDomain: string;
  participantDomain: string;
  deferredDomain: string;
  /** Mailbox users under virtualBase: `<domain>/<user>/` Maildirs. */
  mailboxes: { address: string; maildir: string }[];
  imapUser: string;
  imapPass: string;
  /** uid/gid that owns the Maildirs: Postfix's virtual(8) writes and Dovecot's imap reads as it. */
  mailUid: number;
  mailGid: number;
}

export const paths = (dir: string) => ({
  postfixConfig: `${dir}/postfix`,
  queue: `${dir}/postfix-queue`,
  data: `${dir}/postfix-data`,
  postfixLog: `${dir}/postfix.log`,
  virtualBase: `${dir}/vmail`,
  dovecotConfig: `${dir}/dovecot/dovecot.conf`,
  dovecotBase: `${dir}/dovecot/run`,
  dovecotState: `${dir}/dovecot/state`,
  dovecotLog: `${dir}/dovecot.log`,
  dovecotPasswd: `${dir}/dovecot/passwd`,
});

/**
 * Postfix main.cf. The settings that make it a test stack rather than a mail server:
 *  - every domain is a virtual mailbox domain, and `smtpd_reject_unlisted_recipient = no`:
 *    RCPT TO for an unknown user is accepted, then virtual(8) finds no mailbox and *bounces*,
 *    so Postfix writes a real RFC 3464 DSN (5.1.1) and delivers it to the envelope sender;
 *  - `recipient_delimiter = +`: bounces+<token>@study.test lands in the bounces Maildir;
 *  - `default_transport = error:...`: nothing ever leaves this machine;
 *  - a transport map sends the deferred domain to the retry(8) agent (4.4.1, retried), and
 *    `delay_warning_time = 2s` with 1 s queue runs makes Postfix send a "delayed" DSN at once;
 *  - `maillog_file`: there is no syslog on a CI machine; the log is where errors are read.
 */
export function postfixMainCf(s: StackLayout): string {
  const p = paths(s.dir);
  return `# Written by test/support/mail-stack.ts: a private, loopback-only instance for tests.
compatibility_level = 3.6
queue_directory = ${p.queue}
data_directory = ${p.data}
meta_directory = /etc/postfix
maillog_file = ${p.postfixLog}
maillog_file_prefixes = ${s.dir}
myhostname = mx.${s.studyDomain}
mydomain = ${s.studyDomain}
myorigin = $myhostname
mydestination =
inet_interfaces = loopback-only
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
smtpd_relay_restrictions = permit_mynetworks, reject
smtpd_reject_unlisted_recipient = no
smtpd_peername_lookup = no
alias_maps =
alias_database =
local_recipient_maps =
virtual_mailbox_domains = ${s.studyDomain} ${s.participantDomain} ${s.deferredDomain}
virtual_mailbox_base = ${p.virtualBase}
virtual_mailbox_maps = texthash:${p.postfixConfig}/mailboxes
virtual_uid_maps = static:${s.mailUid}
virtual_gid_maps = static:${s.mailGid}
recipient_delimiter = +
default_transport = error:5.7.1 the test mail stack delivers nowhere else
relay_transport = $default_transport
transport_maps = texthash:${p.postfixConfig}/transport
notify_classes =
bounce_template_file = ${p.postfixConfig}/bounce.cf
delay_warning_time = 2s
queue_run_delay = 1s
minimal_backoff_time = 1s
maximal_backoff_time = 2s
maximal_queue_lifetime = 1h
bounce_queue_lifetime = 1h
smtputf8_enable = no
biff = no
`;
}

export function postfixMailboxes(s: StackLayout): string {
  return `${s.mailboxes.map((m) => `${m.address} ${m.maildir}`).join('\n')}\n`;
}

export function postfixTransport(s: StackLayout): string {
  return `${s.deferredDomain} retry:4.4.1 host temporarily unavailable (test mail stack)\n`;
}

/** Only the services this stack uses; no chroot (the queue is a temp folder, not /var/spool). */
export function postfixMasterCf(s: StackLayout): string {
  return `# service   type  private unpriv chroot wakeup maxproc command
127.0.0.1:${s.smtpPort} inet n - n - - smtpd
pickup    unix  n  -  n  60    1  pickup
cleanup   unix  n  -  n  -     0  cleanup
qmgr      unix  n  -  n  300   1  qmgr
rewrite   unix  -  -  n  -     -  trivial-rewrite
bounce    unix  -  -  n  -     0  bounce
defer     unix  -  -  n  -     0  bounce
trace     unix  -  -  n  -     0  bounce
verify    unix  -  -  n  -     1  verify
flush     unix  n  -  n  1000  0  flush
proxymap  unix  -  -  n  -     -  proxymap
showq     unix  n  -  n  -     -  showq
error     unix  -  -  n  -     -  error
retry     unix  -  -  n  -     -  error
discard   unix  -  -  n  -     -  discard
virtual   unix  -  n  n  -     -  virtual
anvil     unix  -  -  n  -     1  anvil
scache    unix  -  -  n  -     1  scache
postlog   unix-dgram n - n - 1  postlogd
`;
}

/**
 * The built-in delay notice says "more than $delay_warning_time_hours hour(s)", which is 0 at a
 * 2 s warning time (and Postfix logs a warning for it); this one speaks in seconds.
 */
export function postfixBounceTemplates(): string {
  return `delay_template = <<EOF
Charset: us-ascii
From: Mail Delivery System <MAILER-DAEMON>
Subject: Delayed Mail (still being retried)
Postmaster-Subject: Postmaster Warning: Delayed Mail

This is the mail system at host $myhostname.

####################################################################
# THIS IS A WARNING ONLY.  YOU DO NOT NEED TO RESEND YOUR MESSAGE. #
####################################################################

Your message could not be delivered for more than $delay_warning_time_seconds second(s).
It will be retried until it is $maximal_queue_lifetime_minutes minute(s) old.

                   The mail system
EOF
`;
}

/**
 * Dovecot 2.3 configuration: IMAP only, on one loopback port, cleartext login allowed (loopback,
 * tests), one passwd-file user whose home is the bounces Maildir. base_dir and state_dir are
 * ours, so its sockets and master.pid never meet a system Dovecot's.
 */
export function dovecotConf(s: StackLayout): string {
  const p = paths(s.dir);
  return `# Written by test/support/mail-stack.ts: a private, loopback-only instance for tests.
base_dir = ${p.dovecotBase}
state_dir = ${p.dovecotState}
log_path = ${p.dovecotLog}
instance_name = mail-updater-test-${s.imapPort}
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
mail_location = maildir:~
first_valid_uid = ${s.mailUid}
last_valid_uid = ${s.mailUid}
passdb {
  driver = passwd-file
  args = scheme=PLAIN username_format=%n ${p.dovecotPasswd}
}
userdb {
  driver = passwd-file
  args = username_format=%n ${p.dovecotPasswd}
}
service imap-login {
  inet_listener imap {
    address = 127.0.0.1
    port = ${s.imapPort}
  }
  inet_listener imaps {
    port = 0
  }
}
`;
}

export function dovecotPasswd(s: StackLayout, home: string): string {
  return `${s.imapUser}:{PLAIN}${s.imapPass}:${s.mailUid}:${s.mailGid}::${home}::\n`;
}
