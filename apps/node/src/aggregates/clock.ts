import { Injectable } from '@nestjs/common';
import { utcSeconds } from '@corridor/protocol';

/** The node's notion of now (UTC, whole seconds: the protocol's timestamp form). Replaceable in tests. */
@Injectable()
export class Clock {
  now(): Date {
    return new Date();
  }

  nowUtc(): string {
    return utcSeconds(this.now());
  }
}
