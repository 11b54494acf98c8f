/** Small facts about host names and addresses. */
import { isIP } from 'node:net';

/** Whether a host is this machine: localhost, 127.0.0.0/8 or ::1 (also as an IPv4-mapped address). */
export function isLoopbackHost(host: string): boolean {
  const h = host
    .trim()
    .toLowerCase()
    .replace(/^\[(.*)\]$/, '$1');
  if (h === 'localhost' || h.endsWith('.localhost')) return true;
  if (isIP(h) === 4) return h.startsWith('127.');
  if (isIP(h) === 6) {
    const compact = new URL(`http://[${h}]`).hostname; // [::1], [::ffff:7f00:1]
    return compact === '[::1]' || /^\[::ffff:7f[0-9a-f]{2}:[0-9a-f]{1,4}\]$/.test(compact);
  }
  return false;
}
