// Downlink flow control: dedup, cumulative acks and credit refills, ported from
// protocol/src/receive_window.cc so kited sees the same pattern as from the C++ SDK.

export interface WindowSettings {
  window: number;
  ackEvery: number;
  ackDelayMs: number;
}

export type Verdict = 'deliver' | 'duplicate' | 'no-credit';

export interface Due {
  ack?: bigint;
  credit?: number;
}

export class ReceiveWindow {
  private settings: WindowSettings;
  private lastDelivered: bigint;
  private processedThrough: bigint;
  private lastAckSent: bigint;
  private reack = false;
  private processedUnacked = 0;
  private processedUngranted = 0;
  private creditOutstanding: number;
  private ackDeadline: number | null = null;
  /** Seqs handed to the app, in order, not yet processed (a QoS 0 publish repeats the last seq). */
  private pending: bigint[] = [];

  constructor(settings: WindowSettings, lastDelivered: bigint) {
    const window = Math.max(settings.window, 1);
    this.settings = { ...settings, window, ackEvery: Math.min(Math.max(settings.ackEvery, 1), window) };
    this.lastDelivered = lastDelivered;
    this.processedThrough = lastDelivered;
    this.lastAckSent = lastDelivered;
    this.creditOutstanding = window;
  }

  get delivered(): bigint {
    return this.lastDelivered;
  }

  get deadline(): number | null {
    return this.ackDeadline;
  }

  onPublish(seq: bigint, now: number): Verdict {
    if (this.creditOutstanding === 0) return 'no-credit';
    this.creditOutstanding--;
    if (seq <= this.lastDelivered) {
      // Nothing for the app, but the sender must hear that we hold it.
      this.reack = true;
      this.processedUngranted++;
      this.ackDeadline ??= now + this.settings.ackDelayMs;
      return 'duplicate';
    }
    this.lastDelivered = seq;
    this.pending.push(seq);
    return 'deliver';
  }

  onUnsequenced(): Verdict {
    if (this.creditOutstanding === 0) return 'no-credit';
    this.creditOutstanding--;
    this.pending.push(this.lastDelivered); // processed along with what it arrived after
    return 'deliver';
  }

  /** The app is done with everything up to `seq` (cumulative). */
  onProcessed(seq: bigint, now: number): void {
    let count = 0;
    while (this.pending.length > 0 && this.pending[0] <= seq) {
      this.pending.shift();
      count++;
    }
    if (count === 0) return;
    if (seq > this.processedThrough) this.processedThrough = seq;
    this.processedUnacked += count;
    this.processedUngranted += count;
    this.ackDeadline ??= now + this.settings.ackDelayMs;
  }

  /** What to send now: acks ride with credit, credit refills once half the window was processed. */
  takeDue(now: number): Due {
    const due: Due = {};
    const haveAck = this.processedThrough > this.lastAckSent || this.reack;
    if (this.processedUngranted >= Math.max(Math.floor(this.settings.window / 2), 1)) {
      due.credit = this.processedUngranted;
      this.creditOutstanding += this.processedUngranted;
      this.processedUngranted = 0;
    }
    const ackDue =
      this.processedUnacked >= this.settings.ackEvery ||
      (this.ackDeadline !== null && now >= this.ackDeadline) ||
      due.credit !== undefined;
    if (haveAck && ackDue) {
      due.ack = this.processedThrough;
      this.lastAckSent = this.processedThrough;
      this.processedUnacked = 0;
      this.reack = false;
      this.ackDeadline = null;
    } else if (!haveAck) {
      this.ackDeadline = null;
    }
    return due;
  }
}
