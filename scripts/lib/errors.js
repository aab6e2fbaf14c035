'use strict';

// An error whose message is complete on its own: entry points print only the message (no stack),
// because it is meant for the person running `npm install`, not for a debugger.
class DepsError extends Error {
  constructor(message) {
    super(message);
    this.name = 'DepsError';
  }
}

module.exports = { DepsError };
