#include "welcome_body.h"

#include <algorithm>
#include <span>
#include <string>

#include "fb_views.h"

namespace kite::protocol {
namespace {

// Room left for a Welcome's fields other than groups, and for the Frame around it: resume token
// (64), server proof (32), scalars, vtables and alignment come to well under this.
constexpr std::size_t kWelcomeReserve = 512;

// A FlatBuffers string costs its length prefix, bytes and NUL, padded to 4, plus its offset in
// the vector.
std::size_t listed_cost(const std::string& group) {
  return 4 + ((4 + group.size() + 1 + 3) & ~std::size_t{3});
}

std::size_t groups_that_fit(std::span<const std::string> groups, std::size_t budget) {
  std::size_t used = 4, count = 0;  // the vector's length
  for (const auto& group : groups) {
    used += listed_cost(group);
    if (used > budget) break;
    ++count;
  }
  return count;
}

flatbuffers::Offset<wire::Welcome> build_welcome(flatbuffers::FlatBufferBuilder& b,
                                                 const WelcomeParams& welcome,
                                                 const WelcomeTerms& terms, std::size_t listed) {
  auto resume_token = bytes_or_null(b, welcome.resume_token);
  auto proof = terms.proof ? b.CreateVector(terms.proof->data(), terms.proof->size()) : 0;
  std::vector<flatbuffers::Offset<flatbuffers::String>> names;
  names.reserve(listed);
  for (std::size_t i = 0; i < listed; ++i) names.push_back(b.CreateString(welcome.groups[i]));
  auto groups = listed == 0 ? 0 : b.CreateVector(names);
  return wire::CreateWelcome(b, welcome.resumed, resume_token, welcome.store_epoch,
                             welcome.last_received_seq, welcome.next_seq, terms.keepalive_ms,
                             terms.max_frame, terms.receive_window, terms.dictionary, proof, groups,
                             static_cast<std::uint32_t>(welcome.groups.size()));
}

}  // namespace

WelcomeTerms agree_terms(const SessionConfig& config, std::uint32_t requested_keepalive,
                         std::span<const std::uint16_t> client_dictionaries,
                         std::uint32_t client_max_frame) {
  std::uint32_t keepalive = requested_keepalive ? requested_keepalive : config.keepalive_ms;
  keepalive = std::clamp(keepalive, config.min_keepalive_ms,
                         std::max(config.min_keepalive_ms, config.keepalive_ms));
  std::uint16_t dictionary = config.compression.dictionary;
  if (dictionary != 0 && std::find(client_dictionaries.begin(), client_dictionaries.end(),
                                   dictionary) == client_dictionaries.end())
    dictionary = 0;
  return {keepalive, dictionary,      config.max_frame, config.receive_window,
          nullptr,   client_max_frame};
}

std::size_t encode_welcome(FrameEncoder& encoder, const WelcomeParams& welcome,
                           const WelcomeTerms& terms, std::vector<std::uint8_t>& out) {
  const std::size_t limit = std::min<std::size_t>(terms.peer_max_frame, limits::kHandshakeMaxBody);
  std::size_t listed = std::min(welcome.groups.size(), limits::kGroupsPerDevice);
  listed = std::min(listed, groups_that_fit(welcome.groups, limit - kWelcomeReserve));
  while (true) {
    auto& b = encoder.start();
    if (encoder.finish(build_welcome(b, welcome, terms, listed), out, limit) != 0) return listed;
    if (listed == 0) return kWelcomeNotEncoded;
    --listed;  // the estimate was short: one fewer, measured again
  }
}

OpenInfo opened_info(const WelcomeParams& welcome, const WelcomeTerms& terms,
                     std::uint64_t peer_last_received) {
  OpenInfo info{welcome.resumed,
                welcome.resume_token,
                welcome.store_epoch,
                peer_last_received,
                terms.keepalive_ms,
                terms.dictionary,
                {}};
  for (const auto& group : welcome.groups) info.groups.push_back(group);
  info.groups_total = welcome.groups.size();
  return info;
}

Refusal check_welcome(const wire::Welcome& welcome, const DictionarySet* dictionaries) {
  if (view(welcome.resume_token()).size() > limits::kResumeToken ||
      (welcome.groups() && welcome.groups()->size() > limits::kGroupsPerDevice))
    return {Reason::LimitExceeded, "welcome field above its limit"};
  const std::uint16_t dictionary = welcome.dictionary();
  if (dictionary != 0 && (!dictionaries || !dictionaries->compression(dictionary)))
    return {Reason::UnknownDictionary, "server chose a dictionary we do not hold"};
  return {};
}

Refusal check_welcome_sequences(const wire::Welcome& welcome) {
  return check_announced_seq(std::max(welcome.last_received_seq(), welcome.next_seq()));
}

OpenInfo read_welcome(const wire::Welcome& welcome) {
  OpenInfo info{welcome.resumed(),
                view(welcome.resume_token()),
                welcome.store_epoch(),
                welcome.last_received_seq(),
                welcome.keepalive_ms(),
                welcome.dictionary(),
                {}};
  if (welcome.groups())
    for (const auto* group : *welcome.groups()) info.groups.push_back(view(group));
  info.groups_total = std::max<std::size_t>(welcome.groups_total(), info.groups.size());
  return info;
}

}  // namespace kite::protocol
