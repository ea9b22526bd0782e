// Calls made for the other role are refused as such: the session says WrongRole, sends nothing
// and changes nothing, whatever its state. A call of the right role at the wrong time keeps its
// own answer (NotOpen for a send, WrongState for a handshake or closing call).
#include <doctest/doctest.h>

#include <string>
#include <vector>

#include "session_pair.h"

using namespace kite::protocol;
using namespace kite::test;

namespace {

const std::vector<std::string> kGroups{"room-1"};

// Every server-only call on `session`, each of which must be refused as WrongRole.
void check_server_calls_refused(SessionPair& pair, Session& session) {
  const Nonce nonce{};
  CHECK(session.challenge(DeviceKey{}, nonce) == CallStatus::WrongRole);
  CHECK(session.accept(WelcomeParams{}, pair.now) == CallStatus::WrongRole);
  CHECK(session.reject(Reason::AuthFailed, "no") == CallStatus::WrongRole);
  CHECK(session.goaway(Reason::Kicked, 1000, "bye") == CallStatus::WrongRole);
  CHECK(session.send_command({1, "reboot", {}, 1000}, pair.now) == SendStatus::WrongRole);
  CHECK(session.confirm_subscribe(1, true, kGroups, pair.now) == SendStatus::WrongRole);
}

// Every client-only call on `session`, each of which must be refused as WrongRole.
void check_client_calls_refused(SessionPair& pair, Session& session) {
  CHECK(session.start(pair.credentials, pair.resume, pair.now) == CallStatus::WrongRole);
  CHECK(session.reply({1, 0, {}}, pair.now) == SendStatus::WrongRole);
  CHECK(session.subscribe(1, true, kGroups, pair.now) == SendStatus::WrongRole);
}

}  // namespace

TEST_CASE("roles: a client's server-only calls are refused, before and after opening") {
  SessionPair pair;
  pair.create();
  SUBCASE("idle") {
    check_server_calls_refused(pair, *pair.client);
    CHECK(pair.client->state() == Session::State::Idle);
  }
  SUBCASE("open") {
    pair.client->start(pair.credentials, pair.resume, pair.now);
    pair.pump();
    REQUIRE(pair.client->is_open());
    check_server_calls_refused(pair, *pair.client);
    CHECK(pair.client->is_open());
  }
  CHECK_FALSE(pair.client->has_output());
  CHECK_FALSE(pair.client_events.closed);
  CHECK(pair.client_events.commands.empty());
}

TEST_CASE("roles: a server's client-only calls are refused, before and after opening") {
  SessionPair pair;
  pair.create();
  SUBCASE("awaiting the hello") {
    check_client_calls_refused(pair, *pair.server);
    CHECK(pair.server->state() == Session::State::AwaitHello);
  }
  SUBCASE("open") {
    pair.client->start(pair.credentials, pair.resume, pair.now);
    pair.pump();
    REQUIRE(pair.server->is_open());
    check_client_calls_refused(pair, *pair.server);
    CHECK(pair.server->is_open());
  }
  CHECK_FALSE(pair.server->has_output());
  CHECK_FALSE(pair.server_events.closed);
}

TEST_CASE("roles: the right role before the session is open is told NotOpen, as before") {
  SessionPair pair;
  pair.create();
  CHECK(pair.client->subscribe(1, true, kGroups, pair.now) == SendStatus::NotOpen);
  CHECK(pair.client->reply({1, 0, {}}, pair.now) == SendStatus::NotOpen);
  CHECK(pair.server->send_command({1, "reboot", {}, 1000}, pair.now) == SendStatus::NotOpen);
  CHECK(pair.server->confirm_subscribe(1, true, kGroups, pair.now) == SendStatus::NotOpen);
  CHECK_FALSE(pair.client->has_output());
  CHECK_FALSE(pair.server->has_output());
}

TEST_CASE("roles: calls both roles make are not refused for the role") {
  SessionPair pair;
  pair.connect();
  for (Session* session : {pair.client.get(), pair.server.get()}) {
    CHECK(session->send_error(Reason::NotFound, 1, "no such thing", pair.now) == SendStatus::Sent);
    auto payload = bytes_of("x");
    OutgoingMessage message;
    message.payload = payload;
    CHECK(session->publish(message, pair.now) == SendStatus::Sent);
  }
}

TEST_CASE("roles: handshake and closing calls say Done, or WrongState out of their turn") {
  SessionPair pair;
  pair.create();
  Nonce nonce{};
  const DeviceKey key = derive_device_key(kMasterKey, "dev-1");
  pair.server_events.hello_action = [](const HelloInfo&) {};  // the test answers the hello

  CHECK(pair.server->accept(WelcomeParams{}, pair.now) == CallStatus::WrongState);  // no hello
  CHECK(pair.client->start(pair.credentials, pair.resume, pair.now) == CallStatus::Done);
  CHECK(pair.client->start(pair.credentials, pair.resume, pair.now) == CallStatus::WrongState);
  pair.pump();
  REQUIRE(pair.server->state() == Session::State::Deciding);
  CHECK(pair.server->challenge(key, nonce) == CallStatus::Done);
  CHECK(pair.server->challenge(key, nonce) == CallStatus::WrongState);  // already awaiting auth
  pair.pump();  // the proof arrives and the recorder's on_authenticated() accepts: Done there
  REQUIRE(pair.client->is_open());
  CHECK(pair.server_events.accepted == CallStatus::Done);
  CHECK(pair.server->accept(WelcomeParams{}, pair.now) == CallStatus::WrongState);
  CHECK(pair.server->reject(Reason::AuthFailed, "too late") == CallStatus::WrongState);
  CHECK(pair.server->is_open());
  CHECK(pair.server->goaway(Reason::ServerShutdown, 100, "draining") == CallStatus::Done);
  CHECK(pair.server->goaway(Reason::ServerShutdown, 100, "draining") == CallStatus::WrongState);
  CHECK(pair.server->reject(Reason::AuthFailed, "closed") == CallStatus::WrongState);
  CHECK(pair.server_events.close_calls == 1);
}

TEST_CASE("roles: a challenge for a device that did not ask for Hmac is out of turn") {
  SessionPair pair;
  pair.credentials.method = AuthMethod::Token;
  pair.credentials.token = "not checked here";
  pair.create();
  pair.server_events.hello_action = [](const HelloInfo&) {};
  pair.client->start(pair.credentials, pair.resume, pair.now);
  pair.pump();
  REQUIRE(pair.server->state() == Session::State::Deciding);
  CHECK(pair.server->challenge(DeviceKey{}, Nonce{}) == CallStatus::WrongState);
  CHECK(pair.server->state() == Session::State::Deciding);
  CHECK(pair.server->reject(Reason::AuthFailed, "token") == CallStatus::Done);
  REQUIRE(pair.server_events.closed);
  CHECK(pair.server_events.closed->reason == Reason::AuthFailed);
}

TEST_CASE("roles: accept() before the proof is out of turn and still closes the session") {
  SessionPair pair;
  pair.create();
  pair.server_events.hello_action = [&](const HelloInfo&) {
    CHECK(pair.server->accept(pair.server_events.welcome, pair.now) == CallStatus::WrongState);
  };
  pair.client->start(pair.credentials, pair.resume, pair.now);
  pair.pump();
  REQUIRE(pair.server_events.closed);
  CHECK(pair.server_events.closed->reason == Reason::Internal);
  CHECK_FALSE(pair.client->is_open());
}
