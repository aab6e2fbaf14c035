'use strict';
// A loopback TCP relay in front of the TLS port that counts the TLS records each client sends:
// it reads the 5-byte record headers (type, version, length) of the client-to-server stream
// as they pass, without decrypting anything.

const net = require('node:net');
const { LOOPBACK } = require('../../dist/test/helpers/ports');

const APPLICATION_DATA = 23;

// Follows record boundaries across arbitrary TCP segments.
class RecordCounter {
  records = 0;
  applicationDataRecords = 0;
  bytes = 0;
  #header = Buffer.alloc(5);
  #headerFill = 0;
  #bodyLeft = 0;

  push(data) {
    this.bytes += data.length;
    let at = 0;
    while (at < data.length) {
      if (this.#bodyLeft > 0) {
        const n = Math.min(this.#bodyLeft, data.length - at);
        this.#bodyLeft -= n;
        at += n;
        continue;
      }
      const n = Math.min(5 - this.#headerFill, data.length - at);
      data.copy(this.#header, this.#headerFill, at, at + n);
      this.#headerFill += n;
      at += n;
      if (this.#headerFill === 5) {
        this.records += 1;
        if (this.#header[0] === APPLICATION_DATA) this.applicationDataRecords += 1;
        this.#bodyLeft = this.#header.readUInt16BE(3);
        this.#headerFill = 0;
      }
    }
  }
}

/** Listens on a free loopback port and relays to `targetPort`; counts per connection. */
function startTlsRecordRelay(targetPort) {
  const counters = [];
  const sockets = new Set();
  const server = net.createServer((client) => {
    const counter = new RecordCounter();
    counters.push(counter);
    const upstream = net.connect({ host: LOOPBACK, port: targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.once('close', () => sockets.delete(s));
      s.on('error', () => {
        client.destroy();
        upstream.destroy();
      });
    }
    client.on('data', (data) => counter.push(data));
    client.pipe(upstream);
    upstream.pipe(client);
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: LOOPBACK, port: 0 }, () => {
      resolve({
        port: server.address().port,
        /** Totals over every connection relayed so far. */
        counts() {
          const sum = (key) => counters.reduce((total, c) => total + c[key], 0);
          return { records: sum('records'), applicationDataRecords: sum('applicationDataRecords'), bytes: sum('bytes') };
        },
        close() {
          for (const s of sockets) s.destroy();
          return new Promise((done) => server.close(() => done()));
        },
      });
    });
  });
}

module.exports = { startTlsRecordRelay, RecordCounter };
