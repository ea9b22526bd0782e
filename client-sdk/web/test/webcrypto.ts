// Node 18 has WebCrypto only as require('node:crypto').webcrypto, not as globalThis.crypto (Node
// 19 and browsers): the tests load this first (package.json "test"), as an app on Node 18 would
// (docs/web-sdk.md).
import { webcrypto } from 'node:crypto';

if (!globalThis.crypto) (globalThis as unknown as { crypto: unknown }).crypto = webcrypto;
