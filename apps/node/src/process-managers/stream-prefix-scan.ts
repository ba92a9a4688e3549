import { comparePositions, type AllFilter, type EventStore, type GlobalPosition, type StoredEvent } from '@corridor/ledger';

const SCAN_PAGE = 500;

/**
 * Reads the global log for the events of some streams (by name prefix), pass after pass, each pass handing over
 * those appended since the previous one, in commit order, each once (a pass that throws resumes after the last
 * event it handed over). Background loops use it to find work in the event store rather than in memory alone.
 *
 * A pass costs what was appended since the last one, not the size of the log, even when nothing matches: the
 * store's head is read before the filtered read, and once that read reaches the end of the log, the next pass
 * starts from the head rather than from the last match (everything at or before the head was committed before the
 * read began, so the read saw it; anything later is beyond the head and read next time).
 */
export class StreamPrefixScan {
  private readonly filter: AllFilter;
  private scannedTo: GlobalPosition | undefined;

  constructor(
    private readonly store: EventStore,
    prefixes: readonly string[],
    private readonly pageSize = SCAN_PAGE,
  ) {
    this.filter = { on: 'stream', prefixes: [...prefixes] };
  }

  /** Hands every matching event appended since the last pass to `onEvent`, in commit order. */
  async pass(onEvent: (event: StoredEvent) => void): Promise<void> {
    // Taken before the filtered read, never after: an event committed once that read had passed its position would
    // lie at or before a later head and be skipped.
    const head = await this.store.headPosition?.();
    for (;;) {
      const page = await this.store.readAll({ fromPosition: this.scannedTo, maxCount: this.pageSize, filter: this.filter });
      for (const event of page) {
        // `fromPosition` is inclusive: the first event may be the last one of the previous page or pass.
        if (this.scannedTo && comparePositions(event.position, this.scannedTo) <= 0) continue;
        onEvent(event);
        this.scannedTo = event.position;
      }
      if (page.length < this.pageSize) break;
    }
    if (head && (!this.scannedTo || comparePositions(head, this.scannedTo) > 0)) this.scannedTo = head;
  }
}
