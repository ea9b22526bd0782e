#include "boot/server_setup.h"

#include <cstdio>
#include <filesystem>

#include "boot/credentials.h"
#include "boot/options.h"
#include "boot/tls.h"
#include "config/cli.h"
#include "config/compression_settings.h"
#include "config/secret_files.h"

namespace kite::server::boot {
namespace {

namespace cfg = kite::server::config;

BuiltServer failed(int exit_code, const std::string& what) {
  std::fprintf(stderr, "kited: %s\n", what.c_str());
  return {nullptr, nullptr, exit_code};
}

std::unique_ptr<MessageStore> open_store(const cfg::Config& config, std::string& error) {
  if (config.store.engine == cfg::StoreEngine::memory)
    return make_memory_store(store_options(config.store));
  if (config.store.engine == cfg::StoreEngine::redis)
    return open_redis_store(redis_options(config.redis), store_options(config.store), error);
  if (auto failed = cfg::create_private_directories(config.server.data_dir); !failed.empty())
    std::fprintf(stderr, "kited: %s\n", failed.c_str());
  return open_rocksdb_store((std::filesystem::path(config.server.data_dir) / "store").string(),
                            store_options(config.store), error);
}

}  // namespace

BuiltServer build_server(const cfg::Config& config) {
  Credentials credentials;
  if (auto error = load_credentials(config.auth, credentials); !error.empty())
    return failed(cfg::kExitUsage, error);
  std::string error;
  std::unique_ptr<MessageStore> store = open_store(config, error);
  if (!store) return failed(cfg::kExitRuntimeFailure, "cannot open the store: " + error);
  CoreOptions options = core_options(config);
  if (auto problem = cfg::apply_compression(config.compression, options.session); !problem.empty())
    return failed(cfg::kExitUsage, "compression.dictionary_file: " + problem);
  // Resume tokens outlive a restart only with the store that does (resume_tokens.h).
  const bool durable = config.store.engine != cfg::StoreEngine::memory;
  std::array<std::uint8_t, ResumeTokens::kKeySize> resume_key{};
  // On Redis the key is the cluster's, kept with the queues: a device resumes on any node.
  if (config.store.engine == cfg::StoreEngine::redis) {
    if (!load_or_create_resume_key(redis_options(config.redis), resume_key, error))
      return failed(cfg::kExitRuntimeFailure, "resume key: " + error);
  } else if (durable) {
    const auto path = std::filesystem::path(config.server.data_dir) / "resume-key";
    if (auto problem = ResumeTokens::load_or_create_key(path.string(), resume_key);
        !problem.empty())
      return failed(cfg::kExitRuntimeFailure, "resume key: " + problem);
  }
  auto auth = std::make_unique<Authenticator>(
      std::move(credentials), admission_limits(config.auth),
      durable ? std::span<const std::uint8_t>(resume_key) : std::span<const std::uint8_t>{});
  BuiltServer built{std::make_unique<Server>(std::move(options), std::move(store), std::move(auth)),
                    nullptr, cfg::kExitOk};
  if (!config.tls.listen.empty() || !config.websocket.tls_listen.empty()) {
    auto tls = device_tls_context(config.tls, nullptr, error);
    if (!tls) return failed(cfg::kExitUsage, "tls: " + error);
    built.server->set_tls_context(std::move(tls));
  }
  built.admin_tls = admin_tls_context(config.admin, error);
  if (!built.admin_tls && !error.empty()) return failed(cfg::kExitUsage, "admin.tls: " + error);
  return built;
}

}  // namespace kite::server::boot
