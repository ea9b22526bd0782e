// tools/dev/cluster (docs/cluster.md, "Try it on one machine"): `start` brings up Redis, three
// kited nodes and HAProxy and prints assignments to eval; a device dialling KITE_DEVICE (through
// HAProxy and its PROXY v2 header) with a key derived from KITE_MASTER_KEY gets what is sent
// through each node's API with KITE_TOKEN; `status` says it is all up; `stop` ends every process
// and removes the directory. The script runs with a state file of the test's own, so a
// developer's cluster is neither seen nor touched.
#include <sys/types.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <memory>
#include <sstream>
#include <string>
#include <vector>

#include "child_process.h"
#include "failure_log.h"
#include "harness.h"
#include "kite/protocol/handshake_crypto.h"
#include "kite/protocol/hex.h"

namespace kite::it {
namespace {

struct ScriptRun {
  int exit_code = -1;
  std::string out, err;
};

// The cluster script's assignments (`NAME='value'` lines), unquoted.
using Assignments = std::map<std::string, std::string>;

// One value as the script quotes it: in single quotes, a ' written as '\''.
std::string unquote(const std::string& quoted) {
  std::string value;
  bool inside = false;
  for (std::size_t i = 0; i < quoted.size(); ++i) {
    if (quoted[i] == '\'') {
      inside = !inside;
    } else if (!inside && quoted[i] == '\\' && i + 1 < quoted.size()) {
      value += quoted[++i];
    } else {
      value += quoted[i];
    }
  }
  return value;
}

Assignments parse_assignments(const std::string& text) {
  Assignments assignments;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    const auto equals = line.find('=');
    if (equals != std::string::npos)
      assignments[line.substr(0, equals)] = unquote(line.substr(equals + 1));
  }
  return assignments;
}

// "127.0.0.1:7000" or "http://127.0.0.1:7080": the port after the last colon.
std::uint16_t port_of(const std::string& address) {
  return static_cast<std::uint16_t>(std::stoi(address.substr(address.rfind(':') + 1)));
}

// Whether a process runs as `pid`. A zombie counts as gone: the nodes outlive the script that
// started them, and whoever inherits them (this container's init) may never reap them.
bool process_alive(pid_t pid) {
  std::ifstream stat("/proc/" + std::to_string(pid) + "/stat");
  std::string text;
  if (!std::getline(stat, text)) return false;
  const auto paren = text.rfind(") ");
  return paren != std::string::npos && text.substr(paren + 2, 1) != "Z";
}

// tools/dev/cluster with a state file in a temporary directory of its own; the destructor runs
// `stop` (a failed check must not leave a cluster running) and removes the directory.
class DevCluster {
 public:
  DevCluster() {
    std::string pattern = (std::filesystem::temp_directory_path() / "kite-40-XXXXXX").string();
    REQUIRE(::mkdtemp(pattern.data()) != nullptr);
    dir_ = pattern;
  }
  ~DevCluster() {
    keep_cluster_logs();
    run("stop");
    std::error_code ignored;
    std::filesystem::remove_all(dir_, ignored);
  }
  DevCluster(const DevCluster&) = delete;
  DevCluster& operator=(const DevCluster&) = delete;

  // Runs `tools/dev/cluster COMMAND` and waits for it (30 s at most).
  ScriptRun run(const std::string& command, std::vector<std::string> extra = {}) const {
    // KITED_PATH is BUILD/server/kited: the script wants BUILD.
    const auto build = std::filesystem::path(KITED_PATH).parent_path().parent_path();
    std::vector<std::string> args = {command, "--state", (dir_ / "cluster.env").string(),
                                     "--build-dir", build.string()};
    args.insert(args.end(), extra.begin(), extra.end());
    ChildProcess script("tools/dev/cluster " + command, DEV_CLUSTER_PATH, args);
    ScriptRun result;
    result.exit_code = script.wait_exit(30'000).value_or(-1);
    result.out = script.out();
    result.err = script.err();
    return result;
  }

  // The directory `start` named (KITE_CLUSTER_DIR), for its logs should the test fail.
  void watch(const std::string& cluster_dir) { cluster_dir_ = cluster_dir; }

 private:
  void keep_cluster_logs() const {
    if (cluster_dir_.empty()) return;
    std::error_code ignored;
    for (const auto& entry : std::filesystem::directory_iterator(cluster_dir_, ignored)) {
      if (entry.path().extension() != ".log") continue;
      std::ifstream file(entry.path());
      std::ostringstream text;
      text << file.rdbuf();
      keep_log_for_failure("cluster " + entry.path().filename().string(), text.str());
    }
  }

  std::filesystem::path dir_;
  std::filesystem::path cluster_dir_;
};

// A device dialling the cluster's HAProxy, its key derived from the cluster's master key.
DeviceOptions cluster_device(const Assignments& cluster, const std::string& id) {
  const auto master = protocol::hex_decode(cluster.at("KITE_MASTER_KEY"));
  REQUIRE(master);
  REQUIRE(master->size() == 32);
  DeviceOptions options;
  options.id = id;
  options.port = port_of(cluster.at("KITE_DEVICE"));
  options.source_ip = "127.0.0.5";  // not HAProxy's 127.0.0.9 nor the default 127.0.0.1
  options.key = protocol::derive_device_key(*master, id);
  return options;
}

// The device's address as the one node that holds its connection tells it ("" if none does).
std::string holder_address(const Assignments& cluster, const std::string& id) {
  std::string address;
  for (int node = 1; node <= 3; ++node) {
    HttpClient api(port_of(cluster.at("KITE_API_" + std::to_string(node))),
                   cluster.at("KITE_TOKEN"));
    const nlohmann::json info = api.device(id);
    // The other nodes say it is online with the holder's node id; only the holder knows more.
    if (info["online"] == true && info.contains("address"))
      address += info["address"].get<std::string>();
  }
  return address;
}

std::vector<pid_t> node_pids(const Assignments& cluster) {
  std::vector<pid_t> pids;
  std::istringstream words(cluster.at("KITE_NODE_PIDS"));
  for (pid_t pid = 0; words >> pid;) pids.push_back(pid);
  return pids;
}

}  // namespace

TEST_CASE(
    "40.1 dev cluster: through HAProxy, a device gets what each node sends and answers its "
    "commands") {
  DevCluster script;
  const ScriptRun started = script.run("start");
  INFO("start stderr:\n" << started.err);
  REQUIRE(started.exit_code == 0);
  const Assignments cluster = parse_assignments(started.out);
  for (const char* name : {"KITE_DEVICE", "KITE_API_1", "KITE_API_2", "KITE_API_3", "KITE_TOKEN",
                           "KITE_MASTER_KEY", "KITE_NODE_PIDS", "KITE_REDIS", "KITE_CLUSTER_DIR"})
    REQUIRE_MESSAGE(cluster.count(name) == 1, name << " missing from:\n" << started.out);
  CHECK(started.err.find("up: devices at") != std::string::npos);  // progress on stderr only
  script.watch(cluster.at("KITE_CLUSTER_DIR"));
  const std::vector<pid_t> pids = node_pids(cluster);
  REQUIRE(pids.size() == 3);

  TestDevice device(cluster_device(cluster, "dev-cluster-1"));
  device.connect_and_open();
  // The node holding it saw the device's own address, from HAProxy's PROXY v2 header.
  CHECK(holder_address(cluster, "dev-cluster-1") == "127.0.0.5");
  for (int node = 1; node <= 3; ++node) {
    HttpClient api(port_of(cluster.at("KITE_API_" + std::to_string(node))),
                   cluster.at("KITE_TOKEN"));
    const HttpResponse answer = api.send("dev-cluster-1", numbered("through-node", node));
    INFO("node " << node << ": " << answer.status << " " << answer.body);
    CHECK(answer.status == 202);
  }
  auto messages = device.take_messages(3, kWait);
  device.pump_until(now_ms() + 200, [] { return false; });  // a duplicate would show up now
  REQUIRE(messages.size() == 3);
  CHECK(device.inbox().empty());
  for (int node = 1; node <= 3; ++node)
    CHECK(messages[node - 1].payload == numbered("through-node", node));
  // A command through each node (two of them forward it to the holder) is answered by the device.
  for (int node = 1; node <= 3; ++node) {
    HttpClient api(port_of(cluster.at("KITE_API_" + std::to_string(node))),
                   cluster.at("KITE_TOKEN"));
    const nlohmann::json body{
        {"name", "set_target"}, {"payload", std::to_string(node)}, {"timeout_ms", 3000}};
    const HttpResponse response = command_answered(api, device, "dev-cluster-1", body);
    INFO("node " << node << ": " << response.body);
    CHECK(response.status == 200);
    CHECK(response.json()["payload"] == "set_target:" + std::to_string(node));
  }
  device.close();

  const ScriptRun status = script.run("status");
  INFO("status:\n" << status.out << status.err);
  CHECK(status.exit_code == 0);
  const ScriptRun again = script.run("start");  // the same state file: refused, nothing started
  CHECK(again.exit_code != 0);
  CHECK(again.err.find("already running") != std::string::npos);

  const ScriptRun stopped = script.run("stop");
  INFO("stop stderr:\n" << stopped.err);
  CHECK(stopped.exit_code == 0);
  for (pid_t pid : pids) CHECK_MESSAGE(!process_alive(pid), "node pid " << pid);
  CHECK(!std::filesystem::exists(cluster.at("KITE_CLUSTER_DIR")));
  CHECK(script.run("status").exit_code != 0);
  CHECK(script.run("stop").exit_code == 0);  // idempotent
}

TEST_CASE("40.2 dev cluster: without kited, start says what to build and starts nothing") {
  DevCluster script;
  const ScriptRun run = script.run("start", {"--build-dir", "/nonexistent-kite-build"});
  CHECK(run.exit_code == 1);
  CHECK(run.out.empty());
  CHECK(run.err.find("tools/dev/start") != std::string::npos);
  CHECK(script.run("status").exit_code == 3);  // no cluster known
}

}  // namespace kite::it
