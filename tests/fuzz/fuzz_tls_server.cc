// Fuzzes a server TlsChannel (protocol/tls) the way kited drives one: feed() what the socket
// delivered, read_all() the plaintext, take_all_output() the replies.
//
//   byte 0: the shape (its value mod 16: 1 forged records, 2/4/.../14 real records, the rest a
//   stranger), byte 1: the chunk size the bytes are fed in (0: all at once), then
//   - shape 0, a stranger: the rest goes to a fresh channel as the client's first bytes;
//   - shape 1, forged records: a real device completes mutual TLS first, then the rest is fed
//     as if the device had sent it (records it cannot have encrypted);
//   - shape 2, real records: after the handshake the device encrypts the rest as writes of
//     [1-byte length][bytes]..., and a last byte 0xc1 after them sends close_notify.
// Real records reuse one handshaken pair from input to input (Pair says why). Forged records
// need a fresh handshake each (they break the pair); it resumes a session (TicketReplay), an
// eighth of a full handshake's cost, and what they reach is one check (the record's
// authentication tag): they get one input in sixteen, and the time goes to the stranger's
// handshake parser and the real record layer.
//
// Checked: no crash, leak or UB (ASan/UBSan); a failed channel says why and stays failed; no
// plaintext comes out before a handshake or from records the device did not encrypt; the
// device's real records come out exactly, in order, whatever the chunking, and its close_notify
// closes the channel.
#include <openssl/ssl.h>

#include <cstdint>
#include <cstdlib>
#include <memory>
#include <span>
#include <vector>

#include "fuzz_check.h"
#include "kite/tls/channel.h"
#include "kite/tls/context.h"
#include "openssl_pool.h"
#include "test_pki.h"

namespace {

using kite::tls::TlsChannel;
using Bytes = std::vector<std::uint8_t>;
using State = TlsChannel::State;

constexpr std::uint8_t kCloseNotify = 0xc1;

// Every pair resumes the newest session ticket, not only the one after a full handshake: the
// device context offers a ticket once and kited gives none on a resumed connection (L1), so
// without this every other pair would make a full handshake. The fuzzer keeps its own copy of
// each ticket the device receives and puts it back into the context's slot through Kite's own
// callback before each new pair.
class TicketReplay {
 public:
  static void install(SSL_CTX* device) {
    kite_callback() = SSL_CTX_sess_get_new_cb(device);
    KITE_FUZZ_CHECK(kite_callback() != nullptr);
    SSL_CTX_sess_set_new_cb(device, &keep_newest);
  }

  static void offer(SSL_CTX* device) {
    if (!newest()) return;
    SSL* any = SSL_new(device);  // the callback finds the context's slot through it
    KITE_FUZZ_CHECK(any != nullptr);
    kite_callback()(any, newest());  // copies the session into the slot
    SSL_free(any);
  }

 private:
  using Callback = int (*)(SSL*, SSL_SESSION*);
  static Callback& kite_callback() {
    static Callback callback = nullptr;
    return callback;
  }
  static SSL_SESSION*& newest() {
    static SSL_SESSION* session = nullptr;  // lives as long as the process
    return session;
  }
  static int keep_newest(SSL* ssl, SSL_SESSION* session) {
    if (SSL_SESSION_is_resumable(session)) {
      SSL_SESSION_free(newest());
      newest() = SSL_SESSION_dup(session);
    }
    return kite_callback()(ssl, session);
  }
};

struct Contexts {
  kite::test::TempDir dir;
  std::shared_ptr<const kite::tls::TlsContext> server;
  std::shared_ptr<const kite::tls::TlsContext> device;

  Contexts() {
    kite::test::TestCa ca("Kite Fuzz CA", dir.path());
    auto server_cert = ca.issue(
        "server",
        {.common_name = "kited", .dns_names = {"localhost"}, .usage = kite::test::Usage::Server});
    auto device_cert = ca.issue("device", {.common_name = "fuzz-device"});

    kite::tls::TlsSettings server_settings;
    server_settings.role = kite::tls::Role::Server;
    server_settings.certificate_chain_file = server_cert.certificate;
    server_settings.private_key_file = server_cert.key;
    server_settings.ca_file = ca.ca_file();
    server_settings.client_certificates = kite::tls::ClientCertificates::Required;
    server = create(server_settings);

    kite::tls::TlsSettings device_settings;
    device_settings.role = kite::tls::Role::Client;
    device_settings.ca_file = ca.ca_file();
    device_settings.server_name = "localhost";
    device_settings.certificate_chain_file = device_cert.certificate;
    device_settings.private_key_file = device_cert.key;
    // Pairs after the first resume a session (Pair says why); the stranger never does.
    device_settings.session_tickets = true;
    device = create(device_settings);
    TicketReplay::install(device->native_handle());
  }

  static std::shared_ptr<const kite::tls::TlsContext> create(
      const kite::tls::TlsSettings& settings) {
    auto created = kite::tls::TlsContext::create(settings);
    KITE_FUZZ_CHECK(created.context);
    return created.context;
  }
};

const Contexts& contexts() {
  static const Contexts instance;
  return instance;
}

// Feeds `wire` in chunks of `chunk` bytes (0: at once), reading after each as kited does.
void feed(TlsChannel& server, std::span<const std::uint8_t> wire, std::size_t chunk,
          Bytes& plaintext) {
  if (chunk == 0) chunk = wire.size();
  for (std::size_t at = 0; at < wire.size(); at += chunk) {
    server.feed(wire.subspan(at, std::min(chunk, wire.size() - at)));
    server.read_all(plaintext);
    Bytes replies;
    server.take_all_output(replies);
  }
}

void carry(TlsChannel& from, TlsChannel& to) {
  Bytes wire, plaintext;
  from.take_all_output(wire);
  to.feed(wire);
  to.read_all(plaintext);
  KITE_FUZZ_CHECK(plaintext.empty());  // nobody has written any yet
}

// A device and a server channel through mutual TLS (ClientHello, the server's flight, the
// device's certificate and Finished, the server's tickets).
void handshake(TlsChannel& device, TlsChannel& server) {
  carry(device, server);
  carry(server, device);
  carry(device, server);
  carry(server, device);
  KITE_FUZZ_CHECK(device.state() == State::Open && server.state() == State::Open);
  KITE_FUZZ_CHECK(server.peer_identity() == "fuzz-device");  // kept in the ticket when resumed
}

// A device and a server through mutual TLS. Real records leave both channels as they found them
// (every record read, nothing pending), so the pair that carried them is kept for the next
// input's: a handshake costs a hundred times the records an input sends. Forged records may
// leave part of a record pending or fail the server, and close_notify closes it, so those inputs
// take the pair for good, and the next one handshakes afresh: it resumes the newest session ticket
// (TicketReplay), which skips the certificates (a full mutual-TLS handshake parses and verifies
// two chains and signs twice: most of a forged input's time) and ends in the same record layer.
// Crashes still reproduce alone: a fresh process's first pair makes a full handshake, and the
// records after it take the same paths.
struct Pair {
  TlsChannel device{contexts().device};
  TlsChannel server{contexts().server};
};

std::unique_ptr<Pair>& kept_pair() {
  static std::unique_ptr<Pair> pair;
  return pair;
}

// The kept pair if it is still open, else a new one; the caller gives it back with keep().
std::unique_ptr<Pair> take_pair() {
  std::unique_ptr<Pair> pair = std::move(kept_pair());
  if (!pair || pair->device.state() != State::Open || pair->server.state() != State::Open) {
    TicketReplay::offer(contexts().device->native_handle());
    pair = std::make_unique<Pair>();
    handshake(pair->device, pair->server);
  }
  return pair;
}

void keep(std::unique_ptr<Pair> pair) {
  kept_pair() = std::move(pair);
}

void check_failure(const TlsChannel& server) {
  if (!server.failed()) return;
  KITE_FUZZ_CHECK(server.failure() != kite::tls::Failure::None);
  KITE_FUZZ_CHECK(!server.failure_reason().empty());
  KITE_FUZZ_CHECK(server.state() == State::Failed);
}

void stranger(std::span<const std::uint8_t> input, std::size_t chunk) {
  TlsChannel server(contexts().server);
  Bytes plaintext;
  feed(server, input, chunk, plaintext);
  // A handshake needs the device's certificate and a signature by its key: random bytes
  // cannot finish one, so nothing can come out as plaintext.
  KITE_FUZZ_CHECK(!server.handshake_done());
  KITE_FUZZ_CHECK(plaintext.empty());
  check_failure(server);
}

void forged_records(std::span<const std::uint8_t> input, std::size_t chunk) {
  const std::unique_ptr<Pair> pair = take_pair();  // not kept: see Pair
  TlsChannel& server = pair->server;
  Bytes plaintext;
  feed(server, input, chunk, plaintext);
  KITE_FUZZ_CHECK(plaintext.empty());  // AES-GCM: no record passes without the device's key
  check_failure(server);
}

void real_records(std::span<const std::uint8_t> input, std::size_t chunk) {
  std::unique_ptr<Pair> pair = take_pair();
  TlsChannel& device = pair->device;
  TlsChannel& server = pair->server;
  Bytes expected;
  bool close = false;
  std::size_t at = 0;
  while (at < input.size()) {
    std::size_t length = input[at++];
    if (length == kCloseNotify && at == input.size()) {
      close = true;
      break;
    }
    length = std::min(length, input.size() - at);
    auto write = input.subspan(at, length);
    at += length;
    KITE_FUZZ_CHECK(device.write(write));
    expected.insert(expected.end(), write.begin(), write.end());
  }
  if (close) device.close();
  Bytes wire;
  device.take_all_output(wire);
  Bytes plaintext;
  feed(server, wire, chunk, plaintext);
  KITE_FUZZ_CHECK(plaintext == expected);
  KITE_FUZZ_CHECK(server.state() == (close ? State::Closed : State::Open));
  keep(std::move(pair));  // a closed pair is replaced when taken
}

}  // namespace

// Before OpenSSL's first allocation (openssl_pool.h says why): contexts() is made lazily, so
// nothing of OpenSSL has run yet.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  KITE_FUZZ_CHECK(kite::fuzz::openssl_pool::install());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size < 2) return 0;
  std::span<const std::uint8_t> input(data + 2, size - 2);
  const std::size_t chunk = data[1];
  const std::uint8_t shape = data[0] % 16;
  if (shape == 1)  // one input in sixteen (see the top of the file)
    forged_records(input, chunk);
  else if (shape % 2 == 0 && shape != 0)  // 2, 4, ..., 14
    real_records(input, chunk);
  else  // 0 and the other odd values
    stranger(input, chunk);
  return 0;
}
