/**
 * Shared by the connections of one send. Until one connection has connected and logged in, the
 * others wait for it instead of each trying its own login (a wrong password tried by five
 * connections at once is how an account gets locked). Once the relay has refused the settings
 * (login, TLS, certificate), no connection tries again: they all get that refusal.
 */
import type { SmtpError } from './smtp-errors.js';

export class LoginGate {
  private state: 'untried' | 'trying' | 'open' | 'refused' = 'untried';
  private refusal: SmtpError | undefined;
  private waiters: (() => void)[] = [];

  /**
   * Resolves when the caller may connect, with true if it is the one trying first (it must then
   * call succeeded or failed); rejects with the refusal if the relay already refused.
   */
  async enter(): Promise<boolean> {
    for (;;) {
      if (this.state === 'open') return false;
      if (this.state === 'refused') throw this.refusal;
      if (this.state === 'untried') {
        this.state = 'trying';
        return true;
      }
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  succeeded(): void {
    if (this.state === 'trying') this.state = 'open';
    this.wake();
  }

  /** A refusal of the settings closes the gate for good; any other failure lets the next one try. */
  failed(error: SmtpError, refusedSettings: boolean, wasTrying: boolean): void {
    if (refusedSettings) {
      this.state = 'refused';
      this.refusal = error;
    } else if (wasTrying && this.state === 'trying') this.state = 'untried';
    this.wake();
  }

  get refused(): boolean {
    return this.state === 'refused';
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
