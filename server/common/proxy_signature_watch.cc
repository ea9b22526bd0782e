// Forged PROXY headers; see proxy_signature_watch.h.
#include "common/proxy_signature_watch.h"

#include "common/proxy_header.h"

namespace kite::server {

ProxySignatureWatch::Verdict ProxySignatureWatch::watch(std::span<const std::uint8_t> bytes) {
  for (std::uint8_t byte : bytes) {
    if (verdict_ != Verdict::undecided) break;
    if (seen_ >= kProxyV1Prefix.size() || byte != static_cast<std::uint8_t>(kProxyV1Prefix[seen_]))
      may_be_v1_ = false;
    if (seen_ >= kProxyV2Signature.size() || byte != kProxyV2Signature[seen_]) may_be_v2_ = false;
    ++seen_;
    if ((may_be_v1_ && seen_ == kProxyV1Prefix.size()) ||
        (may_be_v2_ && seen_ == kProxyV2Signature.size()))
      verdict_ = Verdict::forged;
    else if (!may_be_v1_ && !may_be_v2_)
      verdict_ = Verdict::clear;
  }
  return verdict_;
}

}  // namespace kite::server
