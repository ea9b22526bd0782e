// [compression]: its rows of the field table, and the section's text.
#include "config/fields/sections.h"

#include "config/field_builders.h"

namespace kite::server::config::fields {

ConfigSection compression_section() {
  return {
      "compression",
      "zstd compression of frame bodies, and the trained dictionary kited offers devices.",
      {
          boolean("compression", "enabled", kCompression, &CompressionConfig::enabled,
                  "Compress frame bodies kited sends (zstd) when that makes them smaller.\n"
                  "Devices may compress theirs either way; kited always reads them."),
          integer("compression", "level", kCompression, &CompressionConfig::level, 1, 19,
                  "zstd level: 1 is fastest; higher levels cost CPU for a few % of size."),
          integer("compression", "threshold_bytes", kCompression,
                  &CompressionConfig::threshold_bytes, 0, 16777216,
                  "Bodies smaller than this are sent as they are."),
          text(
              "compression", "dictionary_file", kCompression, &CompressionConfig::dictionary_file,
              "A zstd dictionary from `kite dict train`; empty = none. kited offers its id in the\n"
              "handshake and compresses with it for the devices that hold it (SDK:\n"
              "ClientOptions::dictionary_files); small messages then compress too. Read at start:\n"
              "changing it needs a restart. Ship a new dictionary to devices before kited."),
          integer(
              "compression", "dictionary_threshold_bytes", kCompression,
              &CompressionConfig::dictionary_threshold_bytes, 0, 16777216,
              "threshold_bytes for devices that use the dictionary: with one, even bodies of a\n"
              "few dozen bytes get smaller."),
      }};
}

}  // namespace kite::server::config::fields
