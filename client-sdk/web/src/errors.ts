// Reason codes (docs/protocol.md section 7) and the one error type the SDK raises.
import { Reason } from './generated/kite/wire/reason';

export { Reason };

export function reasonName(reason: number): string {
  return (Reason as unknown as Record<number, string>)[reason] ?? `Unknown(${reason})`;
}

/** An error carrying the protocol reason, so apps can branch on `reason` rather than on text. */
export class KiteError extends Error {
  constructor(
    readonly reason: Reason,
    message: string,
  ) {
    super(`${reasonName(reason)}: ${message}`);
    this.name = 'KiteError';
  }
}

/**
 * Reasons after which reconnecting cannot help or would fight a newer connection
 * (protocol.md 6.8, `reconnect_allowed()`); InvalidDeviceId is not retried by the C++ SDK either.
 */
const FINAL_REASONS = new Set<number>([
  Reason.Replaced,
  Reason.Revoked,
  Reason.AuthFailed,
  Reason.TokenExpired,
  Reason.UnsupportedVersion,
  Reason.InvalidDeviceId,
]);

export function reconnectAllowed(reason: number): boolean {
  return !FINAL_REASONS.has(reason);
}
