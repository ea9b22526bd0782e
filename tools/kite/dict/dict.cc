#include "dict/dict.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "common/atomic_file.h"
#include "common/exit_code.h"
#include "dict/dict_samples.h"
#include "flags/capture_flags.h"
#include "kite/capture/capture_reader.h"
#include "kite/dict/training.h"
#include "kite/protocol/trained_dictionary.h"

namespace kite::cli {
namespace {

struct TrainOptions {
  std::vector<std::string> files;
  std::string output;
  std::uint32_t id = 0;  // 0: a random private id
  std::size_t max_size = 16u << 10;
  int level = 3;
  std::uint16_t port = 7000;
  std::string direction = "both";
  std::vector<std::string> topics;
  std::vector<std::string> dictionaries;
};

constexpr const char* kTrainExamples = R"(Examples:
  kite dict train -o telemetry.zdict /var/lib/kite/recordings/kite-*.pcap
  kite dict train -o telemetry.zdict --id 4242 --topic telemetry --direction up capture.pcap
  kite dict train -o v2.zdict --dictionary v1.zdict kite-*.pcap  # recorded while v1 was in use
Then kited.toml: [compression] dictionary_file = "telemetry.zdict" (restart kited), and on the
devices ClientOptions::dictionary_files = {"telemetry.zdict"}: ship it to devices first.
Exit codes of kite dict train: 0 written; 1 too few payloads or training failed, or the output
cannot be written; 2 usage error or an input file that cannot be read.
)";

int usage_error(const std::string& problem) {
  std::fprintf(stderr, "kite dict train: %s (kite dict train --help)\n", problem.c_str());
  return kExitUsage;
}

// Ids below 32768 are zstd's for registered dictionaries; a private one is drawn above, never
// one of `taken` (the dictionaries the capture was read with: two files under one id would
// decode each other's frames into garbage, since frames carry no checksum).
std::uint16_t random_private_id(const std::vector<std::uint16_t>& taken) {
  std::random_device random;
  for (;;) {
    const auto id = static_cast<std::uint16_t>(32768 + random() % 32768);
    if (std::find(taken.begin(), taken.end(), id) == taken.end()) return id;
  }
}

// The payloads of every readable input; false (having said why) if an input cannot be read.
// `taken`: the ids of the --dictionary files.
bool read_samples(const TrainOptions& o, Samples& samples, std::vector<std::uint16_t>& taken) {
  std::string error;
  auto dictionaries = load_dictionaries(o.dictionaries, error);
  if (!error.empty()) {
    usage_error(error);
    return false;
  }
  if (dictionaries) taken = dictionaries->ids();
  capture::CaptureOptions options;
  options.server_port = o.port;
  capture::CaptureReader reader(capture::CaptureReader::open_files(o.files), options);
  auto transcripts = capture::read_transcripts(reader);
  bool readable = true;
  for (const auto& input : reader.inputs()) {
    if (input.error.empty()) continue;
    std::fprintf(stderr, "kite dict train: %s: %s\n", input.name.c_str(), input.error.c_str());
    readable &= input.packets > 0;
  }
  FrameReader frames(std::move(dictionaries));
  SampleFilter filter;
  filter.uplink = o.direction != "down";
  filter.downlink = o.direction != "up";
  filter.topics = {o.topics.begin(), o.topics.end()};
  samples = collect_samples(transcripts, frames, filter);
  if (samples.undecodable > 0)
    std::fprintf(stderr, "kite dict train: %zu frames did not decode, the first: %s\n",
                 samples.undecodable, samples.first_problem.c_str());
  return readable;
}

// kited's defaults, so the ratios are what its [compression] section gives out of the box.
protocol::CompressionSettings kited_settings(int level) {
  protocol::CompressionSettings settings;
  settings.level = level;
  return settings;
}

int run_train(const TrainOptions& o) {
  Samples samples;
  std::vector<std::uint16_t> taken;
  if (!read_samples(o, samples, taken)) return kExitUsage;
  std::printf("read %zu payloads (%zu bytes) from %zu connections\n", samples.payloads.size(),
              samples.bytes, samples.connections);
  if (o.id != 0 && std::find(taken.begin(), taken.end(), o.id) != taken.end())
    return usage_error("--id " + std::to_string(o.id) +
                       " is the id of a --dictionary file: a new dictionary needs a new id");
  dict::TrainingOptions training;
  training.id = o.id != 0 ? static_cast<std::uint16_t>(o.id) : random_private_id(taken);
  training.max_bytes = o.max_size;
  training.level = o.level;
  dict::Split split = dict::split_samples(std::move(samples.payloads));
  std::fprintf(stderr,
               "kite dict train: training on %zu distinct payloads (%zu repeats left out)...\n",
               split.training.size(), split.duplicates);
  dict::Trained trained = dict::train(split.training, training);
  if (!trained.error.empty()) {
    std::fprintf(stderr, "kite dict train: %s\n", trained.error.c_str());
    return kExitFailed;
  }
  const protocol::CompressionSettings settings = kited_settings(o.level);
  const dict::Gain gain = dict::measure(split.held_out, trained.bytes, settings);
  std::printf(
      "%s (%zu payloads, %zu bytes), as kited sends them (zstd level %d; alone from %zu bytes, "
      "with the dictionary from %zu): ratio %.2f with the dictionary, %.2f without\n",
      split.measured_apart ? "on payloads held out of training"
                           : "on the training payloads (too few to hold some out)",
      gain.bodies, gain.bytes, o.level, settings.threshold, settings.dictionary_threshold,
      gain.ratio_with(), gain.ratio_without());
  if (gain.with_dictionary >= gain.without) {
    std::fprintf(stderr,
                 "kite dict train: the dictionary does not make these payloads smaller than "
                 "zstd alone does: nothing written (are they already compressed or "
                 "encrypted?)\n");
    return kExitFailed;
  }
  if (auto error = write_file_atomically(o.output, trained.bytes); !error.empty()) {
    std::fprintf(stderr, "kite dict train: %s\n", error.c_str());
    return kExitFailed;
  }
  std::printf("dictionary %u: %zu bytes, written to %s\n", unsigned{training.id},
              trained.bytes.size(), o.output.c_str());
  std::printf(
      "use it: kited.toml [compression] dictionary_file = \"%s\"; devices: "
      "ClientOptions::dictionary_files (ship it to devices first)\n",
      o.output.c_str());
  return kExitOk;
}

int run_info(const std::string& file) {
  protocol::DictionarySet set;
  std::uint16_t id = 0;
  if (auto problem = protocol::add_trained_dictionary_file(set, file, 3, id); !problem.empty()) {
    std::fprintf(stderr, "kite dict info: %s\n", problem.c_str());
    return kExitFailed;
  }
  std::error_code ec;
  const std::uintmax_t size = std::filesystem::file_size(file, ec);
  std::printf("%s: zstd dictionary %u, %ju bytes\n", file.c_str(), unsigned{id},
              ec ? std::uintmax_t{0} : size);
  return kExitOk;
}

void add_train_command(CLI::App& dict, Commands& commands) {
  auto o = std::make_shared<TrainOptions>();
  auto* train = dict.add_subcommand(
      "train",
      "Train a zstd dictionary on the payloads of the Publish frames in Kite recordings (kited's "
      "[record]) and tcpdump captures of the Kite port. kited offers it to devices by its id "
      "([compression] dictionary_file); devices that hold it (SDK dictionary_files) then "
      "compress small messages too. Prints how well it does on payloads held out of training");
  train->add_option("files", o->files, "capture files (pcap); - reads stdin")
      ->required()
      ->type_name("FILE|-");
  train->add_option("-o,--output", o->output, "where to write the dictionary")
      ->required()
      ->type_name("FILE");
  train
      ->add_option("--id", o->id,
                   "the dictionary's id, which frames and handshakes carry (1..65535); default: "
                   "a random one from 32768 (lower ids are zstd's registered ones)")
      ->check(CLI::Range(1, 65535));
  train
      ->add_option("--max-size", o->max_size,
                   "the dictionary's size in bytes: larger ones help more, and every device "
                   "holds it in memory")
      ->check(CLI::Range(256, 1 << 20))
      ->capture_default_str();
  train->add_option("--level", o->level, "the zstd level kited uses ([compression] level)")
      ->check(CLI::Range(1, 19))
      ->capture_default_str();
  add_capture_port_flag(*train, o->port);
  train
      ->add_option("--direction", o->direction,
                   "payloads of: up (devices to kited), down (kited to devices), both")
      ->check(CLI::IsMember({"up", "down", "both"}))
      ->capture_default_str();
  train->add_option("--topic", o->topics, "only publishes with this topic (repeatable)")
      ->allow_extra_args(false);  // one topic per --topic: the capture files follow
  add_dictionary_flag(*train, o->dictionaries,
                      "a dictionary the capture's frames were compressed with, to read them");
  train->footer([] { return std::string(kTrainExamples); });
  commands.push_back({train, [o] { return run_train(*o); }});
}

void add_info_command(CLI::App& dict, Commands& commands) {
  auto file = std::make_shared<std::string>();
  auto* info = dict.add_subcommand(
      "info", "Print the id and size of a dictionary file, or why kited would not take it");
  info->add_option("file", *file, "a dictionary file")->required()->type_name("FILE");
  info->footer([] {
    return std::string(
        "Exit codes of kite dict info: 0 a dictionary kited and the SDK take; 1 not one; 2 "
        "usage error.\n");
  });
  commands.push_back({info, [file] { return run_info(*file); }});
}

}  // namespace

void add_dict_commands(CLI::App& app, Commands& commands) {
  auto* dict = app.add_subcommand("dict", "zstd dictionaries for small messages: train, info");
  dict->require_subcommand(1);
  add_train_command(*dict, commands);
  add_info_command(*dict, commands);
}

}  // namespace kite::cli
