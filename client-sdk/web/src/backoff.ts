// Full-jitter exponential back-off, as client-sdk/src/backoff.cc: a delay drawn uniformly from
// [0, min(max, initial * 2^attempts)], so a fleet that lost its server does not return in step.

export class Backoff {
  private attempts = 0;
  private readonly initialMs: number;
  private readonly maxMs: number;

  constructor(initialMs: number, maxMs: number, private readonly random: () => number = Math.random) {
    this.initialMs = Math.max(initialMs, 1);
    this.maxMs = Math.max(maxMs, this.initialMs);
  }

  /** The next delay; never below `hintMs`, the server's Goaway.reconnect_after_ms. */
  next(hintMs = 0): number {
    const ceiling = Math.min(this.maxMs, this.initialMs * 2 ** Math.min(this.attempts, 30));
    this.attempts++;
    return Math.max(Math.floor(this.random() * (ceiling + 1)), hintMs);
  }

  /** A session that opened resets the window: the next outage starts small again. */
  reset(): void {
    this.attempts = 0;
  }
}
