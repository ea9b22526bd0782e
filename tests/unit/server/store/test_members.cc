// Group membership records: set, cleared, listed, and (RocksDB) kept across a restart.
#include <set>

#include "store_fixture.h"

using namespace kite::server;
using namespace kite::server::store_test;

namespace {

std::set<std::pair<std::string, std::string>> all_members(MessageStore& store) {
  std::set<std::pair<std::string, std::string>> out;
  store.for_each_member([&](std::string_view group, std::string_view device) {
    out.emplace(std::string(group), std::string(device));
  });
  return out;
}

}  // namespace

TEST_CASE_TEMPLATE("group membership is set, cleared and listed", Store, STORE_KINDS) {
  Store kind;
  auto store = kind.open();
  store->set_member("floor-1", "lamp-1", true);
  store->set_member("floor-1", "lamp-2", true);
  store->set_member("floor-10", "lamp-1", true);  // a group whose name extends another's
  store->set_member("floor-1", "lamp-2", false);
  store->set_member("floor-1", "lamp-9", false);  // never a member: nothing happens
  using Pairs = std::set<std::pair<std::string, std::string>>;
  CHECK(all_members(*store) == Pairs{{"floor-1", "lamp-1"}, {"floor-10", "lamp-1"}});
  store->set_member("", "lamp-1", true);  // invalid: ignored
  CHECK(all_members(*store).size() == 2);
  CHECK(store->healthy());
}

TEST_CASE_TEMPLATE("group membership survives a restart", Store, DURABLE_STORE_KINDS) {
  Store kind;
  {
    auto store = kind.open();
    store->set_member("hall", "fan-1", true);
    store->set_member("hall", "fan-2", true);
    store->set_member("hall", "fan-2", false);
    store->enqueue("fan-1", text("x"), kNow);  // queue records beside them are not members
  }
  auto store = kind.open();
  using Pairs = std::set<std::pair<std::string, std::string>>;
  CHECK(all_members(*store) == Pairs{{"hall", "fan-1"}});
}
