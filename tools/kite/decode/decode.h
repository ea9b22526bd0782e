// `kite decode FILE...|-`: prints every frame of Kite recordings (kited's record feature) and
// tcpdump captures of the Kite port, decoded: time, connection, direction, header, message and
// fields; connections opening and closing; and what could not be read. Reading, reassembly and
// framing are the capture library's (tools/capture); this file is the command line and output.
#pragma once

#include "common/command.h"

namespace kite::cli {

void add_decode_command(CLI::App& app, Commands& commands);

}  // namespace kite::cli
