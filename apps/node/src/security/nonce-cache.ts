/**
 * The nonces of accepted did-signed requests, remembered for as long as the request could be replayed: a request
 * signed at time t is accepted while |now - t| <= window, so its nonce is kept in the bucket of t and the bucket is
 * dropped once every time in it has left the window. Memory is bounded by the requests accepted in two windows
 * (the rate limits bound those) and by `maxEntries`.
 */
export class NonceCache {
  private readonly buckets = new Map<number, Set<string>>();
  private readonly signerIds = new Map<string, number>();
  private entries = 0;

  constructor(
    private readonly windowSeconds: number,
    private readonly maxEntries = 2_000_000,
  ) {}

  get size(): number {
    return this.entries;
  }

  /**
   * Remembers `nonce` of `did` for a request signed at `time` (Unix seconds): `fresh` the first time, `replayed` when
   * already seen, `full` when the cache holds `maxEntries` (the request is refused rather than left unprotected).
   */
  remember(did: string, nonce: string, time: number, now: number): 'fresh' | 'replayed' | 'full' {
    this.prune(now);
    const bucketOf = Math.floor(time / this.windowSeconds);
    let signer = this.signerIds.get(did);
    if (signer === undefined) {
      signer = this.signerIds.size;
      this.signerIds.set(did, signer);
    }
    const key = `${signer}:${nonce}`;
    let bucket = this.buckets.get(bucketOf);
    if (bucket?.has(key)) return 'replayed';
    if (this.entries >= this.maxEntries) return 'full';
    if (!bucket) {
      bucket = new Set();
      this.buckets.set(bucketOf, bucket);
    }
    bucket.add(key);
    this.entries++;
    return 'fresh';
  }

  private prune(now: number): void {
    for (const [b, set] of this.buckets) {
      // Times in bucket b are < (b + 1) * window; they stay acceptable until that + window.
      if ((b + 1) * this.windowSeconds + this.windowSeconds < now) {
        this.entries -= set.size;
        this.buckets.delete(b);
      }
    }
  }
}
