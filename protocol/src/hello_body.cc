#include "hello_body.h"

#include <algorithm>

#include "announced.h"
#include "fb_views.h"
#include "kite/protocol/device_id.h"

namespace kite::protocol {

flatbuffers::Offset<wire::Hello> build_hello(flatbuffers::FlatBufferBuilder& b,
                                             const ClientCredentials& credentials,
                                             const ResumeRequest& resume,
                                             const SessionConfig& config) {
  const bool hmac = credentials.method == AuthMethod::Hmac;
  auto id = b.CreateString(credentials.device_id);
  auto nonce = hmac ? bytes_or_null(b, credentials.nonce) : 0;
  auto token = credentials.method == AuthMethod::Token ? string_or_null(b, credentials.token) : 0;
  auto resume_token = bytes_or_null(b, resume.token);
  std::vector<std::uint16_t> ids;
  if (config.dictionaries) ids = config.dictionaries->ids();
  auto dictionaries = ids.empty() ? 0 : b.CreateVector(ids);
  auto agent = string_or_null(b, credentials.agent);
  return wire::CreateHello(b, kProtocolVersion, id, credentials.method, nonce, token,
                           config.keepalive_ms, config.max_frame, config.receive_window,
                           resume_token, resume.last_received_seq, resume.store_epoch, dictionaries,
                           agent);
}

Refusal check_hello(const wire::Hello& hello) {
  if (hello.version() != kProtocolVersion)
    return {Reason::UnsupportedVersion, "this server speaks protocol version 1"};
  if (!valid_device_id(view(hello.device_id()))) return {Reason::InvalidDeviceId, kDeviceIdRule};
  const AuthMethod method = hello.method();
  if (method == AuthMethod::Hmac && view(hello.client_nonce()).size() != kNonceSize)
    return {Reason::LimitExceeded, "client nonce must be 32 bytes"};
  if (method == AuthMethod::Token && length(hello.token()) == 0)
    return {Reason::AuthFailed, "token method without a token"};
  if (method > AuthMethod::Tls) return {Reason::AuthFailed, "unknown auth method"};
  if (view(hello.resume_token()).size() > limits::kResumeToken ||
      length(hello.agent()) > limits::kAgent ||
      (hello.dictionaries() && hello.dictionaries()->size() > limits::kDictionaries))
    return {Reason::LimitExceeded, "hello field above its limit"};
  return {};
}

HelloBody read_hello(const wire::Hello& hello) {
  HelloBody body{
      {view(hello.device_id()), hello.method(), view(hello.token()), view(hello.resume_token()),
       hello.last_received_seq(), hello.store_epoch(), hello.keepalive_ms(), view(hello.agent())},
      {},
      announced_credit(hello.credit()),
      announced_max_frame(hello.max_frame()),
      {}};
  if (body.info.method == AuthMethod::Hmac) {  // check_hello() saw kNonceSize bytes
    auto nonce = view(hello.client_nonce());
    std::copy(nonce.begin(), nonce.end(), body.client_nonce.begin());
  }
  if (hello.dictionaries())
    body.dictionaries.assign(hello.dictionaries()->begin(), hello.dictionaries()->end());
  return body;
}

}  // namespace kite::protocol
