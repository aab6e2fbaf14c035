// Reads a TLS front's sessions one at a time, in the order nginx finished them, so that a
// test can check what the server saw of the connection it just closed. Failed handshakes
// (any status but 200) are passed over: they are logged late and out of step.
import type { NginxServer, TlsLogEntry } from './nginx';

export class TlsSessions {
  #taken = 0;

  constructor(private readonly server: NginxServer) {}

  /**
   * The next proxied session (status 200) after those already taken. nginx logs a session
   * when both of its sides have closed; the wait is woken by the log file itself, so the
   * bound is only a safety net, as wide as waitForTlsLog's: a 5 s bound ran out on a loaded
   * machine with twelve sessions closing at once.
   */
  async next(timeoutMs = 30_000): Promise<TlsLogEntry> {
    for (let wanted = this.#taken + 1; ; ) {
      const entries = await this.server.waitForTlsLog(wanted, timeoutMs);
      const index = entries.findIndex((entry, i) => i >= this.#taken && entry.status === 200);
      if (index >= 0) {
        this.#taken = index + 1;
        return entries[index];
      }
      wanted = entries.length + 1;
    }
  }
}
