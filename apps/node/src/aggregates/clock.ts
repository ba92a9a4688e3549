import { Injectable } from '@nestjs/common';

/** The node's notion of now (UTC, whole seconds: the protocol's timestamp form). Replaceable in tests. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }

  nowUtc(): string {
    return this.now().toISOString().replace(/\.\d{3}Z$/, 'Z');
  }
}
