// Mints device tokens as a backend would (docs/protocol.md 5.5), for the Token-method tests.
import * as flatbuffers from 'flatbuffers';
import { createHmac } from 'node:crypto';
import { TokenClaims } from '../src/generated/kite/wire/token-claims';

export interface Claims {
  deviceId: string;
  groups: string[];
  issuedAtS: number;
  expiresAtS: number;
}

function base64url(bytes: Uint8Array | Buffer): string {
  return Buffer.from(bytes).toString('base64url');
}

export function mintToken(signingKey: Uint8Array | Buffer, claims: Claims): string {
  const builder = new flatbuffers.Builder(128);
  const deviceId = builder.createString(claims.deviceId);
  const groups = TokenClaims.createGroupsVector(builder, claims.groups.map((g) => builder.createString(g)));
  const root = TokenClaims.createTokenClaims(builder, deviceId, groups, BigInt(claims.issuedAtS), BigInt(claims.expiresAtS));
  builder.finish(root);
  const signed = `kite1.${base64url(builder.asUint8Array())}`;
  return `${signed}.${base64url(createHmac('sha256', signingKey).update(signed).digest())}`;
}
