import { describe, expect, it } from 'vitest';
import { failureOutcome } from '../../../src/mail/smtp-client.js';
import { certificateProblem, isRateLimit, type SmtpError, settingsProblem } from '../../../src/mail/smtp-errors.js';

const smtp = (response: string, extra: Partial<SmtpError> = {}): SmtpError =>
  Object.assign(new Error(response), {
    response,
    responseCode: Number(response.slice(0, 3)),
    code: 'EENVELOPE',
    ...extra,
  });

describe('what an SMTP error means for a send', () => {
  it('recognises rate limits: 421, 45x with 4.7.x, and 4xx texts about rates', () => {
    for (const response of [
      '421 4.7.0 Try again later, closing connection',
      '450 4.7.0 Too many messages, slow down',
      '451 4.7.500 Server busy',
      '452 4.7.1 Message rate exceeded',
      '451 Throttled: too much mail from this sender',
      '450 Requested action aborted: rate limit exceeded',
      '454 Too many connections',
    ])
      expect(isRateLimit(smtp(response)), response).toBe(true);
    for (const response of [
      '451 4.3.0 Temporary failure, try again later',
      '452 4.2.2 Mailbox full',
      '550 5.7.1 Too many recipients',
      '250 OK',
    ])
      expect(isRateLimit(smtp(response)), response).toBe(false);
    expect(failureOutcome(smtp('450 4.7.0 Slow down'), false).kind).toBe('throttled');
    expect(failureOutcome(smtp('451 4.3.0 Try later'), false).kind).toBe('temporary');
  });

  it('recognises certificate problems by code (direct TLS) and by message (STARTTLS)', () => {
    const direct = Object.assign(new Error('self-signed certificate in certificate chain'), {
      code: 'ESOCKET',
      originalCode: 'SELF_SIGNED_CERT_IN_CHAIN',
    });
    expect(certificateProblem(direct)).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    const messages: [string, string][] = [
      ['Error initiating TLS - self-signed certificate', 'DEPTH_ZERO_SELF_SIGNED_CERT'],
      ['Error initiating TLS - unable to verify the first certificate', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE'],
      ['Error initiating TLS - certificate has expired', 'CERT_HAS_EXPIRED'],
      ['Error initiating TLS - unable to get local issuer certificate', 'UNABLE_TO_GET_ISSUER_CERT_LOCALLY'],
      [
        "Error initiating TLS - Hostname/IP does not match certificate's altnames: Host: a. is not in the cert's altnames",
        'ERR_TLS_CERT_ALTNAME_INVALID',
      ],
    ];
    for (const [message, code] of messages) {
      const error = Object.assign(new Error(message), { code: 'ETLS' });
      expect(certificateProblem(error)).toBe(code);
      const advice = settingsProblem(error)!.advice;
      expect(advice).toContain(code);
      expect(advice).toMatch(code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? /SMTP_HOST/ : /SMTP_TLS_CA_FILE|renew/);
      expect(failureOutcome(error, false)).toMatchObject({ kind: 'fatal', problem: 'certificate' });
    }
  });

  it('a refused login and a relay without STARTTLS are settings problems naming the variable', () => {
    const login = Object.assign(new Error('Invalid login: 535 5.7.8 Authentication credentials invalid'), {
      code: 'EAUTH',
      response: '535 5.7.8 Authentication credentials invalid',
      responseCode: 535,
    });
    expect(settingsProblem(login)).toMatchObject({
      problem: 'auth',
      advice: expect.stringMatching(/SMTP_USER and SMTP_PASS/),
    });
    const noTls = Object.assign(new Error('Error upgrading connection with STARTTLS: 502 5.5.1 Error'), {
      code: 'ETLS',
      command: 'STARTTLS',
      response: '502 5.5.1 Error: command not recognized',
      responseCode: 502,
    });
    expect(settingsProblem(noTls)).toMatchObject({
      problem: 'tls-required',
      advice: expect.stringMatching(/SMTP_REQUIRE_TLS/),
    });
    const mustTls = smtp('530 5.7.0 Must issue a STARTTLS command first');
    expect(settingsProblem(mustTls)?.problem).toBe('tls-required');
    expect(settingsProblem(smtp('451 4.3.0 Try later'))).toBeUndefined();
  });
});
