// TlsChannel: OpenSSL's SSL object between two memory BIOs. Every SSL_* call below is preceded by
// ERR_clear_error() and every failure empties the queue (describe_ssl_failure), so the queue
// holds only this call's errors: OpenSSL's queue is per thread, shared by all its connections.
#include "kite/tls/channel.h"

#include <openssl/bio.h>
#include <openssl/buffer.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include <array>

#include "context_impl.h"
#include "failure_reason.h"
#include "openssl_errors.h"
#include "peer_certificate.h"
#include "plaintext_probe.h"

namespace kite::tls {
namespace {

// The most plaintext one TLS record carries (RFC 8446 5.1, RFC 5246 6.2.1).
constexpr std::size_t kMaxRecordPlaintext = 16384;

// A memory BIO never gives back what it grew to: after one 64 KiB socket read, or one burst of
// deliveries taken in one go, it would hold that much for the rest of the connection. Past this
// capacity a drained BIO is swapped for a new one; below it, it is kept for the next bytes.
constexpr std::size_t kKeptBioCapacity = 2 * (kMaxRecordPlaintext + 256);

BIO* new_memory_bio() {
  BIO* bio = BIO_new(BIO_s_mem());
  // An empty memory BIO must read as "no bytes yet" (retry), not as the end of the stream.
  if (bio) BIO_set_mem_eof_return(bio, -1);
  return bio;
}

std::size_t capacity_of(BIO* bio) {
  BUF_MEM* memory = nullptr;
  BIO_get_mem_ptr(bio, &memory);
  return memory ? memory->max : 0;
}

// True when `bio` holds nothing and has grown past kKeptBioCapacity.
bool worth_replacing(BIO* bio) {
  return BIO_ctrl_pending(bio) == 0 && capacity_of(bio) > kKeptBioCapacity;
}

}  // namespace

void TlsChannel::SslFree::operator()(ssl_st* ssl) const {
  SSL_free(ssl);
}

TlsChannel::TlsChannel(std::shared_ptr<const TlsContext> context) : context_(std::move(context)) {
  ERR_clear_error();
  ssl_.reset(SSL_new(context_->native_handle()));
  BIO* in = new_memory_bio();
  BIO* out = new_memory_bio();
  if (!ssl_ || !in || !out) {
    BIO_free(in);
    BIO_free(out);
    fail(Failure::Internal, "cannot create a TLS connection: " + detail::take_openssl_errors());
    return;
  }
  SSL_set_bio(ssl_.get(), in, out);  // the SSL owns both from here
  if (context_->settings().role == Role::Server) {
    SSL_set_accept_state(ssl_.get());
  } else {
    start_client();
  }
}

TlsChannel::~TlsChannel() = default;
TlsChannel::TlsChannel(TlsChannel&& other) noexcept = default;
TlsChannel& TlsChannel::operator=(TlsChannel&& other) noexcept = default;

void TlsChannel::start_client() {
  const TlsContext::Impl& impl = *context_->impl_;
  SSL* ssl = ssl_.get();
  SSL_set_connect_state(ssl);
  if (impl.sni) {
    // SSL_set_tlsext_host_name() spelled out: the macro's C cast trips -Wold-style-cast.
    SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
             const_cast<char*>(impl.settings.server_name.c_str()));
  }
  // Offered once: TLS 1.3 tickets are meant for one use, and this connection brings new ones.
  if (detail::SslSessionPtr session = impl.take_session()) SSL_set_session(ssl, session.get());
  advance_handshake();  // writes the ClientHello
}

TlsChannel::State TlsChannel::feed(std::span<const std::uint8_t> ciphertext) {
  if (!ssl_ || state_ == State::Closed || state_ == State::Failed || ciphertext.empty())
    return state_;
  if (!first_byte_seen_) {
    first_byte_seen_ = true;
    if (!detail::opens_tls_stream(ciphertext[0], context_->settings().role)) {
      fail(Failure::NotTls, detail::describe_plaintext(ciphertext));
      return state_;
    }
  }
  ERR_clear_error();
  std::size_t written = 0;
  if (BIO_write_ex(SSL_get_rbio(ssl_.get()), ciphertext.data(), ciphertext.size(), &written) != 1 ||
      written != ciphertext.size()) {
    fail(Failure::Internal, "cannot buffer ciphertext: " + detail::take_openssl_errors());
    return state_;
  }
  if (state_ == State::Handshaking) advance_handshake();
  return state_;
}

void TlsChannel::advance_handshake() {
  ERR_clear_error();
  int result = SSL_do_handshake(ssl_.get());
  if (result == 1) return on_handshake_done();
  int error = SSL_get_error(ssl_.get(), result);
  if (error == SSL_ERROR_WANT_READ) return;  // the peer's next flight is not all here yet
  fail_from_openssl(error);
}

void TlsChannel::on_handshake_done() {
  handshake_done_ = true;
  state_ = State::Open;
  resumed_ = SSL_session_reused(ssl_.get()) == 1;
  // A resumed session carries the certificate of the handshake that issued its ticket.
  X509* peer = SSL_get0_peer_certificate(ssl_.get());
  peer_certificate_ = detail::certificate_id_of(peer);
  const TlsSettings& settings = context_->settings();
  if (settings.role == Role::Server)
    peer_identity_ =
        detail::identity_of(peer, settings.identity_source, settings.identity_uri_prefix);
  ERR_clear_error();  // parsing names can queue errors; the thread's next OpenSSL user must not
}

std::size_t TlsChannel::read(std::span<std::uint8_t> plaintext) {
  ERR_clear_error();  // once per call: success and WANT_READ queue nothing, failures empty it
  std::size_t total = 0;
  while (ssl_ && state_ == State::Open && total < plaintext.size()) {
    std::size_t got = read_record(plaintext.subspan(total));
    if (got == 0) break;
    total += got;
  }
  release_drained_input();
  return total;
}

std::size_t TlsChannel::read_all(std::vector<std::uint8_t>& plaintext) {
  // One SSL_read_ex per record into a record-sized scratch, then appended: the extra copy of a
  // small record is cheaper than a second call to size the vector first (SSL_peek_ex and
  // SSL_pending), and the vector never holds zero-filled slack.
  std::array<std::uint8_t, kMaxRecordPlaintext> record;
  ERR_clear_error();
  std::size_t total = 0;
  while (ssl_ && state_ == State::Open) {
    std::size_t got = read_record(record);
    if (got == 0) break;
    plaintext.insert(plaintext.end(), record.begin(),
                     record.begin() + static_cast<std::ptrdiff_t>(got));
    total += got;
  }
  release_drained_input();
  return total;
}

void TlsChannel::release_drained_input() {
  if (!ssl_ || !worth_replacing(SSL_get_rbio(ssl_.get()))) return;
  if (BIO* fresh = new_memory_bio()) SSL_set0_rbio(ssl_.get(), fresh);  // frees the old one
}

void TlsChannel::release_drained_output() {
  if (!ssl_ || !worth_replacing(SSL_get_wbio(ssl_.get()))) return;
  if (BIO* fresh = new_memory_bio()) SSL_set0_wbio(ssl_.get(), fresh);
}

std::size_t TlsChannel::buffer_capacity() const {
  return ssl_ ? capacity_of(SSL_get_rbio(ssl_.get())) + capacity_of(SSL_get_wbio(ssl_.get())) : 0;
}

std::size_t TlsChannel::read_record(std::span<std::uint8_t> plaintext) {
  // Nothing fed is left, in the BIO or half-read in OpenSSL's buffer: skip the SSL_read_ex that
  // would only say WANT_READ, the usual end of each loop above.
  if (SSL_has_pending(ssl_.get()) == 0 && BIO_ctrl_pending(SSL_get_rbio(ssl_.get())) == 0) return 0;
  std::size_t got = 0;
  int result = SSL_read_ex(ssl_.get(), plaintext.data(), plaintext.size(), &got);
  if (result == 1) return got;
  int error = SSL_get_error(ssl_.get(), result);
  if (error == SSL_ERROR_WANT_READ) return 0;
  if (error == SSL_ERROR_ZERO_RETURN) {
    state_ = State::Closed;  // the peer's close_notify
    ERR_clear_error();
    return 0;
  }
  fail_from_openssl(error);
  return 0;
}

bool TlsChannel::write(std::span<const std::uint8_t> plaintext) {
  if (!ssl_ || state_ != State::Open || close_sent_) return false;
  if (plaintext.empty()) return true;
  ERR_clear_error();
  std::size_t written = 0;
  // Without SSL_MODE_ENABLE_PARTIAL_WRITE success means all of it, and a memory BIO never
  // pushes back, so there is no partial write to carry over.
  int result = SSL_write_ex(ssl_.get(), plaintext.data(), plaintext.size(), &written);
  if (result == 1) return true;
  fail_from_openssl(SSL_get_error(ssl_.get(), result));
  return false;
}

void TlsChannel::close() {
  if (!ssl_ || close_sent_) return;
  close_sent_ = true;
  if (!handshake_done_ || state_ == State::Failed) return;  // nothing to close politely
  ERR_clear_error();
  // 0 means "close_notify sent, the peer's not seen yet": all a one-way close needs.
  SSL_shutdown(ssl_.get());
  ERR_clear_error();
}

bool TlsChannel::has_output() const {
  return output_size() > 0;
}

std::size_t TlsChannel::output_size() const {
  return ssl_ ? BIO_ctrl_pending(SSL_get_wbio(ssl_.get())) : 0;
}

std::size_t TlsChannel::take_all_output(std::vector<std::uint8_t>& out) {
  std::size_t size = output_size();
  if (size == 0) return 0;
  std::size_t before = out.size();
  out.resize(before + size);
  std::size_t got = take_output(std::span(out).subspan(before));
  out.resize(before + got);
  return got;
}

std::size_t TlsChannel::take_output(std::span<std::uint8_t> into) {
  if (!ssl_ || into.empty()) return 0;
  std::size_t got = 0;
  if (BIO_read_ex(SSL_get_wbio(ssl_.get()), into.data(), into.size(), &got) != 1) return 0;
  release_drained_output();
  return got;
}

std::string_view TlsChannel::version() const {
  return handshake_done_ ? SSL_get_version(ssl_.get()) : std::string_view();
}

std::string_view TlsChannel::cipher() const {
  const SSL_CIPHER* current = handshake_done_ ? SSL_get_current_cipher(ssl_.get()) : nullptr;
  return current ? SSL_CIPHER_get_name(current) : std::string_view();
}

void TlsChannel::fail(Failure failure, std::string reason) {
  state_ = State::Failed;
  failure_ = failure;
  failure_reason_ = std::move(reason);
}

void TlsChannel::fail_from_openssl(int ssl_error) {
  detail::FailureText text = detail::describe_ssl_failure(ssl_.get(), ssl_error);
  fail(text.failure, std::move(text.reason));
}

}  // namespace kite::tls
