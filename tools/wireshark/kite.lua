-- Wireshark / tshark dissector for the Kite protocol (docs/protocol.md) and for kited's
-- recordings (docs/recording.md).
--
--   tshark -X lua_script:tools/wireshark/kite.lua -r capture.pcap          # or copy it to
--   ~/.local/lib/wireshark/plugins/ for Wireshark itself
--
-- Two entry points:
--   * "kite" on TCP (port 7000 by default; Edit > Preferences > Protocols > KITE to change it,
--     or "Decode As..."): the byte stream is reassembled across segments and cut into frames;
--   * "kiterec" on the link type of kited's recordings (147, LINKTYPE_USER0): the 16-byte
--     pseudo-header (kind, direction, connection), then one frame.
--
-- A frame is an 8-byte header (length u32 LE, flags u16 LE, dictionary u16 LE), the body and
-- zero padding to 8 bytes. The body is one FlatBuffers `Frame` table (protocol/schema/kite.fbs)
-- unless it is zstd-compressed, which Lua cannot undo: such bodies are shown as bytes. The
-- FlatBuffers reader below checks every offset against the body, so a corrupt body gets an
-- expert note instead of a Lua error.

local kite = Proto("kite", "Kite push protocol")
local kiterec = Proto("kiterec", "Kite recording")

-- Union member names, by type index (protocol/schema/kite.fbs, `union Message`).
local message_names = {
  [0] = "None", [1] = "Hello", [2] = "Challenge", [3] = "Auth", [4] = "Welcome",
  [5] = "Publish", [6] = "Ack", [7] = "Credit", [8] = "Ping", [9] = "Pong",
  [10] = "Command", [11] = "Reply", [12] = "Subscribe", [13] = "Unsubscribe",
  [14] = "Goaway", [15] = "Error",
}

-- `enum Reason` in protocol/schema/kite.fbs.
local reason_names = {
  [0] = "None", [1] = "FrameTooLarge", [2] = "BadFlags", [3] = "TruncatedFrame",
  [4] = "InvalidBody", [5] = "DecompressionFailed", [6] = "DecompressionBomb",
  [7] = "UnknownDictionary", [20] = "UnexpectedMessage", [21] = "UnsupportedVersion",
  [22] = "InvalidSequence", [23] = "CreditExceeded", [24] = "InvalidAck",
  [25] = "LimitExceeded", [26] = "InvalidId",
  [27] = "InvalidDeviceId", [40] = "AuthFailed", [41] = "TokenExpired",
  [42] = "Revoked", [43] = "HandshakeTimeout", [44] = "TooManyAttempts",
  [60] = "KeepaliveTimeout", [61] = "Replaced", [62] = "ServerShutdown", [63] = "Kicked",
  [64] = "NormalClose", [65] = "Superseded", [80] = "QueueFull", [81] = "Expired", [82] = "NotFound",
  [99] = "Internal",
}

local method_names = { [0] = "Hmac", [1] = "Token", [2] = "Tls" }
local qos_names = { [0] = "AtMostOnce", [1] = "AtLeastOnce" }

local f = {
  length = ProtoField.uint32("kite.length", "Body length", base.DEC),
  flags = ProtoField.uint16("kite.flags", "Flags", base.HEX),
  compressed = ProtoField.bool("kite.compressed", "Compressed (zstd)"),
  dictionary = ProtoField.uint16("kite.dictionary", "Dictionary id", base.DEC),
  type = ProtoField.uint8("kite.type", "Message", base.DEC, message_names),
  body = ProtoField.bytes("kite.body", "Body"),
  device_id = ProtoField.string("kite.device_id", "Device id"),
  version = ProtoField.uint16("kite.version", "Protocol version", base.DEC),
  method = ProtoField.uint8("kite.method", "Auth method", base.DEC, method_names),
  agent = ProtoField.string("kite.agent", "Agent"),
  keepalive_ms = ProtoField.uint32("kite.keepalive_ms", "Keep-alive (ms)", base.DEC),
  max_frame = ProtoField.uint32("kite.max_frame", "Max frame", base.DEC),
  credit = ProtoField.uint32("kite.credit", "Credit", base.DEC),
  resumed = ProtoField.bool("kite.resumed", "Resumed"),
  next_seq = ProtoField.uint64("kite.next_seq", "Next seq", base.DEC),
  last_received_seq = ProtoField.uint64("kite.last_received_seq", "Last received seq", base.DEC),
  seq = ProtoField.uint64("kite.seq", "Seq", base.DEC),
  qos = ProtoField.uint8("kite.qos", "QoS", base.DEC, qos_names),
  ttl_ms = ProtoField.uint32("kite.ttl_ms", "TTL (ms)", base.DEC),
  topic = ProtoField.string("kite.topic", "Topic"),
  content_type = ProtoField.string("kite.content_type", "Content type"),
  conflation_key = ProtoField.string("kite.conflation_key", "Conflation key"),
  payload = ProtoField.bytes("kite.payload", "Payload"),
  payload_text = ProtoField.string("kite.payload_text", "Payload (text)"),
  message_id = ProtoField.string("kite.message_id", "Message id"),
  target = ProtoField.string("kite.target", "Target device"),
  grant = ProtoField.uint32("kite.grant", "Grant", base.DEC),
  token = ProtoField.uint64("kite.ping_token", "Ping token", base.DEC),
  command_id = ProtoField.uint64("kite.command_id", "Command id", base.DEC),
  command_name = ProtoField.string("kite.command_name", "Command"),
  timeout_ms = ProtoField.uint32("kite.timeout_ms", "Timeout (ms)", base.DEC),
  status = ProtoField.uint16("kite.status", "Status", base.DEC),
  request_id = ProtoField.uint64("kite.request_id", "Request id", base.DEC),
  group = ProtoField.string("kite.group", "Group"),
  groups_total = ProtoField.uint32("kite.groups_total", "Groups in all", base.DEC),
  reason = ProtoField.uint16("kite.reason", "Reason", base.DEC, reason_names),
  message = ProtoField.string("kite.message", "Message text"),
  ref = ProtoField.uint64("kite.ref", "Refers to", base.DEC),
  reconnect_after_ms = ProtoField.uint32("kite.reconnect_after_ms", "Reconnect after (ms)",
                                         base.DEC),
}
kite.fields = {}
for _, field in pairs(f) do table.insert(kite.fields, field) end

local bad_body = ProtoExpert.new("kite.bad_body", "Body is not a valid Frame table",
                                 expert.group.MALFORMED, expert.severity.ERROR)
local bad_header = ProtoExpert.new("kite.bad_header", "Frame header is not valid",
                                   expert.group.MALFORMED, expert.severity.ERROR)
kite.experts = { bad_body, bad_header }

local r = {
  version = ProtoField.uint8("kiterec.version", "Version", base.DEC),
  kind = ProtoField.uint8("kiterec.kind", "Kind", base.DEC,
                          { [0] = "frame", [1] = "opened", [2] = "closed" }),
  direction = ProtoField.uint8("kiterec.direction", "Direction", base.DEC,
                               { [0] = "to kited", [1] = "from kited" }),
  flags = ProtoField.uint8("kiterec.flags", "Flags", base.HEX),
  tls = ProtoField.bool("kiterec.tls", "TLS listener", 8, nil, 0x01),
  connection = ProtoField.uint64("kiterec.connection", "Connection", base.DEC),
  text = ProtoField.string("kiterec.text", "Text"),
}
kiterec.fields = { r.version, r.kind, r.direction, r.flags, r.tls, r.connection, r.text }

local kite_port = 7000
kite.prefs.port = Pref.uint("TCP port", kite_port, "kited's device port (plain TCP)")

-- ------------------------------------------------------------------------------------------
-- A bounds-checked FlatBuffers reader over one body (a TvbRange).

local Reader = {}
Reader.__index = Reader

local function new_reader(body)
  return setmetatable({ body = body, size = body:len() }, Reader)
end

function Reader:fits(offset, bytes)
  return offset >= 0 and offset + bytes <= self.size
end

function Reader:u32(offset)
  if not self:fits(offset, 4) then error("offset out of range") end
  return self.body(offset, 4):le_uint()
end

-- The table at `table_pos`: returns a function giving the absolute position of field `index`
-- (or nil when the field is absent).
function Reader:table(table_pos)
  if not self:fits(table_pos, 4) then error("table out of range") end
  local vtable = table_pos - self.body(table_pos, 4):le_int()
  if not self:fits(vtable, 4) then error("vtable out of range") end
  local vsize = self.body(vtable, 2):le_uint()
  return function(index)
    local entry = 4 + 2 * index
    if entry + 2 > vsize or not self:fits(vtable + entry, 2) then return nil end
    local field = self.body(vtable + entry, 2):le_uint()
    if field == 0 then return nil end
    return table_pos + field
  end
end

-- The target of the uoffset stored at `pos`.
function Reader:deref(pos)
  return pos + self:u32(pos)
end

-- Adds a string field (uoffset to u32 length + bytes).
function Reader:add_string(tree, field, pos)
  if not pos then return nil end
  local at = self:deref(pos)
  local length = self:u32(at)
  if not self:fits(at + 4, length) then error("string out of range") end
  local range = self.body(at + 4, length)
  tree:add(field, range)
  return range:string()
end

-- A vector: its element count and the position of its first element.
function Reader:vector(pos)
  local at = self:deref(pos)
  local count = self:u32(at)
  return count, at + 4
end

function Reader:add_bytes(tree, field, pos)
  if not pos then return nil end
  local count, first = self:vector(pos)
  if not self:fits(first, count) then error("vector out of range") end
  if count == 0 then
    tree:add(field, self.body(first, 0))
    return nil
  end
  local range = self.body(first, count)
  tree:add(field, range)
  return range
end

function Reader:add_scalar(tree, field, pos, bytes)
  if not pos then return end
  if not self:fits(pos, bytes) then error("scalar out of range") end
  tree:add_le(field, self.body(pos, bytes))
end

function Reader:add_strings(tree, field, pos)
  if not pos then return end
  local count, first = self:vector(pos)
  if count > 4096 then error("too many strings") end
  for i = 0, count - 1 do self:add_string(tree, field, first + 4 * i) end
end

-- ------------------------------------------------------------------------------------------
-- Message bodies, field by field (indices as declared in kite.fbs).

local describers = {}

describers.Hello = function(rd, t, tree)
  rd:add_scalar(tree, f.version, t(0), 2)
  local id = rd:add_string(tree, f.device_id, t(1))
  rd:add_scalar(tree, f.method, t(2), 1)
  rd:add_scalar(tree, f.keepalive_ms, t(5), 4)
  rd:add_scalar(tree, f.max_frame, t(6), 4)
  rd:add_scalar(tree, f.credit, t(7), 4)
  rd:add_scalar(tree, f.last_received_seq, t(9), 8)
  rd:add_string(tree, f.agent, t(12))
  return id and ("device " .. id) or nil
end

describers.Welcome = function(rd, t, tree)
  rd:add_scalar(tree, f.resumed, t(0), 1)
  rd:add_scalar(tree, f.last_received_seq, t(3), 8)
  rd:add_scalar(tree, f.next_seq, t(4), 8)
  rd:add_scalar(tree, f.keepalive_ms, t(5), 4)
  rd:add_scalar(tree, f.max_frame, t(6), 4)
  rd:add_scalar(tree, f.credit, t(7), 4)
  rd:add_scalar(tree, f.dictionary, t(8), 2)
  rd:add_strings(tree, f.group, t(10))
  rd:add_scalar(tree, f.groups_total, t(11), 4)
end

local function seq_text(rd, pos)
  if not pos or not rd:fits(pos, 8) then return "0" end
  return tostring(rd.body(pos, 8):le_uint64())
end

describers.Publish = function(rd, t, tree)
  rd:add_scalar(tree, f.seq, t(0), 8)
  rd:add_scalar(tree, f.qos, t(1), 1)
  rd:add_scalar(tree, f.ttl_ms, t(2), 4)
  rd:add_string(tree, f.topic, t(3))
  rd:add_string(tree, f.content_type, t(4))
  rd:add_string(tree, f.conflation_key, t(5))
  local payload = rd:add_bytes(tree, f.payload, t(6))
  if payload then
    local ok, text = pcall(function() return payload:string(ENC_UTF_8) end)
    if ok and text and not text:find("[%z\1-\8\11\12\14-\31]") then
      tree:add(f.payload_text, payload, text)
    end
  end
  rd:add_string(tree, f.message_id, t(7))
  local target = rd:add_string(tree, f.target, t(8))
  return "seq " .. seq_text(rd, t(0)) .. (target and (" to " .. target) or "")
end

describers.Ack = function(rd, t, tree)
  rd:add_scalar(tree, f.seq, t(0), 8)
  return "seq " .. seq_text(rd, t(0))
end

describers.Credit = function(rd, t, tree) rd:add_scalar(tree, f.grant, t(0), 4) end
describers.Ping = function(rd, t, tree) rd:add_scalar(tree, f.token, t(0), 8) end
describers.Pong = describers.Ping

describers.Command = function(rd, t, tree)
  rd:add_scalar(tree, f.command_id, t(0), 8)
  local name = rd:add_string(tree, f.command_name, t(1))
  rd:add_bytes(tree, f.payload, t(2))
  rd:add_scalar(tree, f.timeout_ms, t(3), 4)
  return name
end

describers.Reply = function(rd, t, tree)
  rd:add_scalar(tree, f.command_id, t(0), 8)
  rd:add_scalar(tree, f.status, t(1), 2)
  rd:add_bytes(tree, f.payload, t(2))
end

describers.Subscribe = function(rd, t, tree)
  rd:add_scalar(tree, f.request_id, t(0), 8)
  rd:add_strings(tree, f.group, t(1))
end
describers.Unsubscribe = describers.Subscribe

local function reason_text(rd, pos)
  if not pos or not rd:fits(pos, 2) then return "None" end
  local code = rd.body(pos, 2):le_uint()
  return reason_names[code] or tostring(code)
end

describers.Goaway = function(rd, t, tree)
  rd:add_scalar(tree, f.reason, t(0), 2)
  rd:add_scalar(tree, f.reconnect_after_ms, t(1), 4)
  rd:add_string(tree, f.message, t(2))
  return reason_text(rd, t(0))
end

describers.Error = function(rd, t, tree)
  rd:add_scalar(tree, f.reason, t(0), 2)
  rd:add_string(tree, f.message, t(1))
  rd:add_scalar(tree, f.ref, t(2), 8)
  return reason_text(rd, t(0))
end

-- Decodes one Frame table; returns a one-line summary.
local function dissect_body(body, tree)
  local rd = new_reader(body)
  local frame = rd:table(rd:u32(0))
  local type_pos = frame(0)
  local type_index = 0
  if type_pos then
    if not rd:fits(type_pos, 1) then error("type out of range") end
    type_index = body(type_pos, 1):uint()
    tree:add(f.type, body(type_pos, 1))
  end
  local name = message_names[type_index] or ("type " .. type_index)
  local message_pos = frame(1)
  local detail
  if message_pos and describers[name] then
    detail = describers[name](rd, rd:table(rd:deref(message_pos)), tree)
  end
  return detail and (name .. " " .. detail) or name
end

-- One whole frame at the start of `range`: header, then the body. Returns the summary.
local function dissect_frame(range, pinfo, tree)
  local length = range(0, 4):le_uint()
  local flags = range(4, 2):le_uint()
  local subtree = tree:add(kite, range, "Kite frame")
  subtree:add_le(f.length, range(0, 4))
  local flags_item = subtree:add_le(f.flags, range(4, 2))
  flags_item:add(f.compressed, range(4, 2), bit.band(flags, 1) ~= 0)
  subtree:add_le(f.dictionary, range(6, 2))
  if bit.band(flags, 0xfffe) ~= 0 then
    subtree:add_proto_expert_info(bad_header, "unknown flag bits")
  end
  local summary
  if length == 0 then
    summary = "empty body"
  elseif bit.band(flags, 1) ~= 0 then
    subtree:add(f.body, range(8, length))
    summary = "compressed body, " .. length .. " bytes"
  else
    local ok, result = pcall(dissect_body, range(8, length):tvb(), subtree)
    if ok then
      summary = result
    else
      subtree:add_proto_expert_info(bad_body, tostring(result))
      summary = "malformed body"
    end
  end
  subtree:append_text(": " .. summary)
  return summary
end

local function padded(length)
  return 8 + length + (8 - length % 8) % 8
end

local function add_summary(pinfo, summary)
  local current = tostring(pinfo.cols.info)
  if current == "" then
    pinfo.cols.info:set(summary)
  else
    pinfo.cols.info:set(current .. ", " .. summary)
  end
end

-- TCP: as many whole frames as the segment holds; asks for more bytes for a split one.
function kite.dissector(tvb, pinfo, tree)
  local offset = 0
  local total = tvb:len()
  pinfo.cols.protocol:set("Kite")
  pinfo.cols.info:set("")
  -- The port the TCP table matched (the preference, or one given with "Decode As") is kited.
  local direction = pinfo.dst_port == pinfo.match_uint and "-> " or "<- "
  while offset < total do
    local left = total - offset
    if left < 8 then
      pinfo.desegment_offset = offset
      pinfo.desegment_len = DESEGMENT_ONE_MORE_SEGMENT
      return total
    end
    local length = tvb(offset, 4):le_uint()
    if length > 16 * 1024 * 1024 then
      local item = tree:add(kite, tvb(offset), "Kite stream (not at a frame boundary)")
      item:add_proto_expert_info(bad_header, "length " .. length .. " above 16 MiB")
      return total
    end
    local size = padded(length)
    if left < size then
      pinfo.desegment_offset = offset
      pinfo.desegment_len = size - left
      return total
    end
    add_summary(pinfo, direction .. dissect_frame(tvb(offset, size), pinfo, tree))
    offset = offset + size
  end
  return total
end

-- Recordings: the pseudo-header, then one frame (or an opened/closed event).
function kiterec.dissector(tvb, pinfo, tree)
  if tvb:len() < 16 then return 0 end
  pinfo.cols.protocol:set("Kite")
  pinfo.cols.info:set("")
  local header = tree:add(kiterec, tvb(0, 16), "Kite recording")
  header:add(r.version, tvb(0, 1))
  header:add(r.kind, tvb(1, 1))
  header:add(r.direction, tvb(2, 1))
  local flags = header:add(r.flags, tvb(3, 1))
  flags:add(r.tls, tvb(3, 1))
  header:add(r.connection, tvb(4, 8))
  local kind = tvb(1, 1):uint()
  local connection = tostring(tvb(4, 8):uint64())
  local arrow = tvb(2, 1):uint() == 0 and "-> " or "<- "
  local rest = tvb:len() - 16
  if kind ~= 0 then
    local text = rest > 0 and tvb(16, rest):string(ENC_UTF_8) or ""
    if rest > 0 then header:add(r.text, tvb(16, rest)) end
    pinfo.cols.info:set("conn " .. connection .. " " ..
                        (kind == 1 and "opened" or "closed") .. (text ~= "" and (" " .. text) or ""))
    return tvb:len()
  end
  if rest < 8 then
    header:add_proto_expert_info(bad_header, "a frame record shorter than a frame header")
    return tvb:len()
  end
  local length = tvb(16, 4):le_uint()
  if padded(length) > rest then
    header:add_proto_expert_info(bad_header, "frame longer than the record")
    return tvb:len()
  end
  pinfo.cols.info:set("conn " .. connection .. " " .. arrow ..
                      dissect_frame(tvb(16, padded(length)), pinfo, tree))
  return tvb:len()
end

local tcp_table = DissectorTable.get("tcp.port")
tcp_table:add(kite_port, kite)

function kite.prefs_changed()
  if kite.prefs.port ~= kite_port then
    tcp_table:remove(kite_port, kite)
    kite_port = kite.prefs.port
    tcp_table:add(kite_port, kite)
  end
end

DissectorTable.get("wtap_encap"):add(wtap_encaps.USER0, kiterec)
