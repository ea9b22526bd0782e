// Builds the frames the client sends and turns received bodies into plain objects.
// The generated FlatBuffers classes stay inside this file: the rest of the SDK sees typed records.
import * as flatbuffers from 'flatbuffers';
import * as wire from './generated/kite_generated';
import { KiteError, Reason } from './errors';
import { encodeFrame } from './frame';

const Message = wire.Message;

export interface HelloFields {
  deviceId: string;
  token?: string;
  clientNonce?: Uint8Array;
  keepaliveMs: number;
  maxFrame: number;
  credit: number;
  resumeToken?: Uint8Array;
  lastReceivedSeq: bigint;
  storeEpoch: bigint;
  dictionaries: number[];
  agent: string;
}

export interface OutgoingPublish {
  seq: bigint;
  qos: 0 | 1;
  topic?: string;
  contentType?: string;
  payload: Uint8Array;
  ttlMs?: number;
  messageId?: string;
}

function finish(builder: flatbuffers.Builder, type: wire.Message, message: flatbuffers.Offset): Uint8Array {
  // Fields added in the order the C++ builder adds them (widest first), so that both SDKs put
  // the same bytes on the wire (protocol.md section 9 is checked byte for byte by a test).
  wire.Frame.startFrame(builder);
  wire.Frame.addMessage(builder, message);
  wire.Frame.addMessageType(builder, type);
  builder.finish(wire.Frame.endFrame(builder));
  return encodeFrame(builder.asUint8Array());
}

/** Empty strings and vectors are left absent, as the C++ session writes them. */
function optionalString(builder: flatbuffers.Builder, value?: string): flatbuffers.Offset {
  return value ? builder.createString(value) : 0;
}

export function encodeHello(f: HelloFields): Uint8Array {
  const b = new flatbuffers.Builder(256);
  const deviceId = b.createString(f.deviceId);
  const nonce = f.clientNonce ? wire.Hello.createClientNonceVector(b, f.clientNonce) : 0;
  const token = optionalString(b, f.token);
  const resume = f.resumeToken?.length ? wire.Hello.createResumeTokenVector(b, f.resumeToken) : 0;
  const dicts = f.dictionaries.length ? wire.Hello.createDictionariesVector(b, f.dictionaries) : 0;
  const agent = optionalString(b, f.agent);
  wire.Hello.startHello(b);
  wire.Hello.addDeviceId(b, deviceId);
  wire.Hello.addMethod(b, f.token ? wire.AuthMethod.Token : wire.AuthMethod.Hmac);
  if (nonce) wire.Hello.addClientNonce(b, nonce);
  if (token) wire.Hello.addToken(b, token);
  wire.Hello.addKeepaliveMs(b, f.keepaliveMs);
  wire.Hello.addMaxFrame(b, f.maxFrame);
  wire.Hello.addCredit(b, f.credit);
  if (resume) wire.Hello.addResumeToken(b, resume);
  wire.Hello.addLastReceivedSeq(b, f.lastReceivedSeq);
  wire.Hello.addStoreEpoch(b, f.storeEpoch);
  if (dicts) wire.Hello.addDictionaries(b, dicts);
  if (agent) wire.Hello.addAgent(b, agent);
  return finish(b, Message.Hello, wire.Hello.endHello(b));
}

export function encodeAuth(proof: Uint8Array): Uint8Array {
  const b = new flatbuffers.Builder(64);
  const vector = wire.Auth.createProofVector(b, proof);
  return finish(b, Message.Auth, wire.Auth.createAuth(b, vector));
}

export function encodePublish(p: OutgoingPublish): Uint8Array {
  const b = new flatbuffers.Builder(64 + p.payload.length);
  const topic = optionalString(b, p.topic);
  const contentType = optionalString(b, p.contentType);
  const messageId = optionalString(b, p.messageId);
  const payload = p.payload.length ? wire.Publish.createPayloadVector(b, p.payload) : 0;
  wire.Publish.startPublish(b);
  wire.Publish.addSeq(b, p.seq);
  if (messageId) wire.Publish.addMessageId(b, messageId);
  if (payload) wire.Publish.addPayload(b, payload);
  if (contentType) wire.Publish.addContentType(b, contentType);
  if (topic) wire.Publish.addTopic(b, topic);
  if (p.ttlMs) wire.Publish.addTtlMs(b, p.ttlMs);
  if (p.qos) wire.Publish.addQos(b, wire.Qos.AtLeastOnce);
  return finish(b, Message.Publish, wire.Publish.endPublish(b));
}

export function encodeAck(seq: bigint): Uint8Array {
  const b = new flatbuffers.Builder(32);
  return finish(b, Message.Ack, wire.Ack.createAck(b, seq));
}

export function encodeCredit(grant: number): Uint8Array {
  const b = new flatbuffers.Builder(32);
  return finish(b, Message.Credit, wire.Credit.createCredit(b, grant));
}

export function encodePing(token: bigint): Uint8Array {
  const b = new flatbuffers.Builder(32);
  return finish(b, Message.Ping, wire.Ping.createPing(b, token));
}

export function encodePong(token: bigint): Uint8Array {
  const b = new flatbuffers.Builder(32);
  return finish(b, Message.Pong, wire.Pong.createPong(b, token));
}

export function encodeReply(id: bigint, status: number, payload: Uint8Array): Uint8Array {
  const b = new flatbuffers.Builder(64 + payload.length);
  const vector = payload.length ? wire.Reply.createPayloadVector(b, payload) : 0;
  return finish(b, Message.Reply, wire.Reply.createReply(b, id, status, vector));
}

export function encodeGroupRequest(join: boolean, requestId: bigint, groups: string[]): Uint8Array {
  const b = new flatbuffers.Builder(64);
  const names = groups.map((g) => b.createString(g));
  if (join) {
    const vector = wire.Subscribe.createGroupsVector(b, names);
    return finish(b, Message.Subscribe, wire.Subscribe.createSubscribe(b, requestId, vector));
  }
  const vector = wire.Unsubscribe.createGroupsVector(b, names);
  return finish(b, Message.Unsubscribe, wire.Unsubscribe.createUnsubscribe(b, requestId, vector));
}

export function encodeError(reason: number, message: string): Uint8Array {
  const b = new flatbuffers.Builder(64);
  const text = optionalString(b, message);
  return finish(b, Message.Error, wire.Error.createError(b, reason, text, BigInt(0)));
}

export type Incoming =
  | { type: 'challenge'; serverNonce: Uint8Array }
  | { type: 'welcome'; welcome: WelcomeFields }
  | { type: 'publish'; publish: IncomingPublish }
  | { type: 'ack'; seq: bigint }
  | { type: 'credit'; grant: number }
  | { type: 'ping'; token: bigint }
  | { type: 'pong'; token: bigint }
  | { type: 'command'; id: bigint; name: string; payload: Uint8Array; timeoutMs: number }
  | { type: 'goaway'; reason: number; reconnectAfterMs: number; message: string }
  | { type: 'error'; reason: number; message: string; ref: bigint }
  | { type: 'groups'; join: boolean; requestId: bigint };

export interface WelcomeFields {
  resumed: boolean;
  resumeToken: Uint8Array;
  storeEpoch: bigint;
  lastReceivedSeq: bigint;
  nextSeq: bigint;
  keepaliveMs: number;
  maxFrame: number;
  credit: number;
  dictionary: number;
  serverProof: Uint8Array;
  groups: string[];
}

export interface IncomingPublish {
  seq: bigint;
  qos: 0 | 1;
  ttlMs: number;
  topic: string;
  contentType: string;
  conflationKey: string;
  payload: Uint8Array;
  messageId: string;
}

const empty = new Uint8Array(0);

/**
 * Decodes one body. The TypeScript FlatBuffers runtime has no Verifier: every read is bounds
 * checked by DataView instead, and any out-of-range read is reported as InvalidBody.
 */
export function decodeBody(body: Uint8Array): Incoming {
  if (body.length < 4) throw new KiteError(Reason.InvalidBody, 'body shorter than 4 bytes');
  try {
    const frame = wire.Frame.getRootAsFrame(new flatbuffers.ByteBuffer(body));
    return decodeMessage(frame);
  } catch (err) {
    if (err instanceof KiteError) throw err;
    throw new KiteError(Reason.InvalidBody, `undecodable body: ${String(err)}`);
  }
}

function decodeMessage(frame: wire.Frame): Incoming {
  const type = frame.messageType();
  const table = <T>(cls: new () => T): T => {
    const message = frame.message(new cls() as never) as T | null;
    if (!message) throw new KiteError(Reason.InvalidBody, 'message type without message');
    return message;
  };
  switch (type) {
    case Message.NONE:
      throw new KiteError(Reason.InvalidBody, 'frame without a message');
    case Message.Challenge:
      return { type: 'challenge', serverNonce: table(wire.Challenge).serverNonceArray() ?? empty };
    case Message.Welcome:
      return { type: 'welcome', welcome: decodeWelcome(table(wire.Welcome)) };
    case Message.Publish:
      return { type: 'publish', publish: decodePublish(table(wire.Publish)) };
    case Message.Ack:
      return { type: 'ack', seq: table(wire.Ack).seq() };
    case Message.Credit:
      return { type: 'credit', grant: table(wire.Credit).grant() };
    case Message.Ping:
      return { type: 'ping', token: table(wire.Ping).token() };
    case Message.Pong:
      return { type: 'pong', token: table(wire.Pong).token() };
    case Message.Command: {
      const c = table(wire.Command);
      return { type: 'command', id: c.id(), name: c.name() ?? '', payload: c.payloadArray() ?? empty, timeoutMs: c.timeoutMs() };
    }
    case Message.Goaway: {
      const g = table(wire.Goaway);
      return { type: 'goaway', reason: g.reason(), reconnectAfterMs: g.reconnectAfterMs(), message: g.message() ?? '' };
    }
    case Message.Error: {
      const e = table(wire.Error);
      return { type: 'error', reason: e.reason(), message: e.message() ?? '', ref: e.ref() };
    }
    case Message.Subscribe:
      // A confirmation of ours, or an announcement of groups a Welcome had no room for.
      return { type: 'groups', join: true, requestId: table(wire.Subscribe).requestId() };
    case Message.Unsubscribe:
      return { type: 'groups', join: false, requestId: table(wire.Unsubscribe).requestId() };
    default:
      throw new KiteError(Reason.UnexpectedMessage, `message type ${Message[type] ?? type} not expected by a client`);
  }
}

function decodeWelcome(w: wire.Welcome): WelcomeFields {
  const groups: string[] = [];
  for (let i = 0; i < w.groupsLength(); i++) groups.push(w.groups(i) as string);
  return {
    resumed: w.resumed(),
    resumeToken: w.resumeTokenArray()?.slice() ?? empty,
    storeEpoch: w.storeEpoch(),
    lastReceivedSeq: w.lastReceivedSeq(),
    nextSeq: w.nextSeq(),
    keepaliveMs: w.keepaliveMs(),
    maxFrame: w.maxFrame(),
    credit: w.credit(),
    dictionary: w.dictionary(),
    serverProof: w.serverProofArray() ?? empty,
    groups,
  };
}

function decodePublish(p: wire.Publish): IncomingPublish {
  return {
    seq: p.seq(),
    qos: p.qos() === wire.Qos.AtLeastOnce ? 1 : 0,
    ttlMs: p.ttlMs(),
    topic: p.topic() ?? '',
    contentType: p.contentType() ?? '',
    conflationKey: p.conflationKey() ?? '',
    payload: p.payloadArray()?.slice() ?? empty,
    messageId: p.messageId() ?? '',
  };
}
