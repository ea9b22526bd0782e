// kite_tls_none: the kite::tls symbols the device SDK uses, for a device built without TLS.
//
// A device that only ever connects over plain TCP (a trusted network, a VPN, a secure element
// doing its own transport) should not carry OpenSSL: linked with this library instead of
// kite_tls, a static device is 2.3 MB rather than 6 MB. TlsContext::create() fails with a
// sentence that says so, so Client::start() with tls.enabled returns Error::Invalid and
// start_error() explains; no channel can therefore ever exist, and its members are unreachable.
#include <cstdlib>

#include "kite/tls/channel.h"
#include "kite/tls/context.h"

namespace kite::tls {

struct TlsContext::Impl {};

TlsContext::Created TlsContext::create(const TlsSettings&, const TlsContext*) {
  return {nullptr,
          "this program was built without TLS (linked with kite_tls_none): rebuild it with "
          "kite_tls, or connect without tls.enabled"};
}

TlsContext::~TlsContext() = default;

namespace {
[[noreturn]] void unreachable() {
  std::abort();  // no context, so no channel: a call here is a build mistake, not input
}
}  // namespace

void TlsChannel::SslFree::operator()(ssl_st*) const {}
TlsChannel::TlsChannel(std::shared_ptr<const TlsContext>) {
  unreachable();
}
TlsChannel::~TlsChannel() = default;
TlsChannel::TlsChannel(TlsChannel&&) noexcept = default;
TlsChannel& TlsChannel::operator=(TlsChannel&&) noexcept = default;
TlsChannel::State TlsChannel::feed(std::span<const std::uint8_t>) {
  unreachable();
}
std::size_t TlsChannel::read(std::span<std::uint8_t>) {
  unreachable();
}
bool TlsChannel::write(std::span<const std::uint8_t>) {
  unreachable();
}
void TlsChannel::close() {
  unreachable();
}
bool TlsChannel::has_output() const {
  unreachable();
}
std::size_t TlsChannel::output_size() const {
  unreachable();
}
std::size_t TlsChannel::take_all_output(std::vector<std::uint8_t>&) {
  unreachable();
}

}  // namespace kite::tls
