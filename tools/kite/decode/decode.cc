#include "decode/decode.h"

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "common/exit_code.h"
#include "decode/decode_message.h"
#include "decode/decode_output.h"
#include "flags/capture_flags.h"
#include "kite/capture/capture_reader.h"

namespace kite::cli {
namespace {

struct DecodeOptions {
  std::vector<std::string> files;
  std::uint16_t port = 7000;
  bool json = false;
  std::size_t max_payload = 64;
  std::vector<std::string> dictionaries;
};

// The examples end up above the exit codes (see listen.cc).
constexpr const char* kExamples = R"(Examples:
  kite decode /var/lib/kite/record/kite-20250101T120000-w0-1.pcap
  kite decode /var/lib/kite/record/kite-*-w*.pcap          # every worker's files, merged by time
  sudo tcpdump -i lo -U -w kite.pcap tcp port 7000; kite decode kite.pcap
  kite decode --dictionary /etc/kite/telemetry.zdict kite-*-w*.pcap
  kite decode --port 7443 --json --max-payload 0 capture.pcap | jq 'select(.type == "Publish")'
  tcpdump -r big.pcap -w - 'host 10.0.0.7' | kite decode -
Exit codes of kite decode: 0 every file was read (frames that do not decode are reported and
skipped); 1 a file could not be opened, is not classic pcap (convert pcapng with
`editcap -F pcap IN OUT`), has a link type kite does not read, or is corrupt or cut short
(what came before is printed); 2 usage error.
)";

bool write_line(const std::string& line) {
  return std::fwrite(line.data(), 1, line.size(), stdout) == line.size();
}

// What the reader skipped or could not find, on stderr: silent when all went as expected.
void report_stats(const capture::CaptureReader& reader, const DecodeOptions& o) {
  const capture::CaptureStats& stats = reader.stats();
  std::string skipped;
  for (std::size_t i = 1; i < capture::kSkipReasons; ++i)
    if (stats.skipped[i] > 0)
      skipped += (skipped.empty() ? "" : ", ") + std::to_string(stats.skipped[i]) + " " +
                 std::string(capture::skip_name(static_cast<capture::Skip>(i)));
  if (stats.cut_short > 0)
    skipped += (skipped.empty() ? "" : ", ") + std::to_string(stats.cut_short) +
               " TCP segments cut short by the snap length (their streams have holes)";
  if (!skipped.empty()) std::fprintf(stderr, "kite decode: skipped %s\n", skipped.c_str());
  const bool any_tcp = std::any_of(reader.inputs().begin(), reader.inputs().end(), [](auto& s) {
    return s.error.empty() && s.packets > 0 && !s.recording();
  });
  if (any_tcp && stats.tcp_connections == 0)
    std::fprintf(stderr,
                 "kite decode: no TCP connection to or from port %u in the capture (%llu "
                 "segments of other ports): is --port right?\n",
                 unsigned{o.port}, static_cast<unsigned long long>(stats.other_port_segments));
}

int run_decode(const DecodeOptions& o) {
  if (std::count(o.files.begin(), o.files.end(), "-") > 1) {
    std::fprintf(stderr, "kite decode: stdin (-) can be read only once (kite decode --help)\n");
    return kExitUsage;
  }
  std::string error;
  auto dictionaries = load_dictionaries(o.dictionaries, error);
  if (!error.empty()) {
    std::fprintf(stderr, "kite decode: %s (kite decode --help)\n", error.c_str());
    return kExitUsage;
  }
  capture::CaptureOptions options;
  options.server_port = o.port;
  capture::CaptureReader reader(capture::CaptureReader::open_files(o.files), options);
  FrameDescriber describer(o.max_payload, std::move(dictionaries));
  for (capture::Event event; reader.next(event);) {
    const nlohmann::ordered_json object = event_json(event, describer, o.files);
    std::string line =
        o.json ? object.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace)
               : event_text(object);
    line.push_back('\n');
    if (!write_line(line)) {
      std::fprintf(stderr, "kite decode: cannot write the output: %s\n", std::strerror(errno));
      return kExitFailed;
    }
  }
  for (const auto& input : reader.inputs()) {
    if (input.error.empty()) continue;
    std::fprintf(stderr, "kite decode: %s: %s\n", input.name.c_str(), input.error.c_str());
    if (o.json)
      write_line(
          nlohmann::ordered_json{{"file", input.name}, {"event", "error"}, {"error", input.error}}
              .dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace) +
          "\n");
  }
  report_stats(reader, o);
  std::fflush(stdout);
  return reader.all_read() ? kExitOk : kExitFailed;
}

}  // namespace

void add_decode_command(CLI::App& app, Commands& commands) {
  auto o = std::make_shared<DecodeOptions>();
  auto* decode = app.add_subcommand(
      "decode",
      "Print every frame of Kite recordings (kited's record files) and tcpdump captures of the "
      "Kite port, decoded: time, connection, direction (up: device to kited, down: kited to "
      "device), frame header, message type and fields; connections opening and closing; and "
      "what could not be read (TCP holes, bad headers, bodies that do not decode). Several "
      "files are merged by time. Classic pcap only (link type 147 for recordings; 0, 1, 101, "
      "113, 228, 229, 276 for tcpdump captures over IPv4 or IPv6). TLS traffic cannot be read "
      "from a tcpdump capture: record it in kited instead");
  decode->add_option("files", o->files, "capture files (pcap); - reads stdin")
      ->required()
      ->type_name("FILE|-");
  add_capture_port_flag(*decode, o->port);
  decode->add_flag("--json", o->json,
                   "one JSON object per line per event (fields: see docs/cli.md), with an "
                   "\"error\" field when a frame could not be decoded");
  decode
      ->add_option("--max-payload", o->max_payload,
                   "show at most this many bytes of each payload, nonce, proof or token (text "
                   "when printable UTF-8, else hex); 0 = all")
      ->capture_default_str();
  add_dictionary_flag(*decode, o->dictionaries,
                      "a zstd dictionary kited compressed with (its [compression] "
                      "dictionary_file): bodies compressed with it are decoded too");
  decode->footer([] { return std::string(kExamples); });
  commands.push_back({decode, [o] { return run_decode(*o); }});
}

}  // namespace kite::cli
