// [record]: its rows of the field table, and the section's text.
#include "config/fields/sections.h"

#include "config/field_builders.h"

namespace kite::server::config::fields {

ConfigSection record_section() {
  return {
      "record",
      "Recordings of device connections: their frames both ways, after TLS, in pcap files\n"
      "that kite decode, kite replay and Wireshark read (docs/recording.md).",
      {
          boolean("record", "enabled", kRecord, &RecordConfig::enabled,
                  "Record the frames of device connections from the start, both directions, after\n"
                  "TLS (docs/recording.md). PUT /v1/recording switches it at run time; SIGHUP\n"
                  "applies a changed [record] section. Recordings hold payloads and handshakes\n"
                  "(tokens included): protect the directory like the data directory."),
          text("record", "directory", kRecord, &RecordConfig::directory,
               "Where the recordings go, one file series per worker:\n"
               "kite-<UTC yyyymmddThhmmss>-w<worker>-<n>.pcap. A relative path is under\n"
               "server.data_dir, like the store; created with the first file."),
          integer("record", "max_file_bytes", kRecord, &RecordConfig::max_file_bytes, 1048576,
                  4294967296,
                  "A file is closed, and the next one started, before an event would take it past\n"
                  "this (a single larger frame still gets a file of its own)."),
          integer(
              "record", "max_files", kRecord, &RecordConfig::max_files, 1, 10000,
              "Files kept per worker, earlier runs' included; the oldest beyond it are deleted.\n"
              "Disk use is at most about workers x max_files x max_file_bytes."),
          list("record", "devices", kRecord, &RecordConfig::devices,
               "Devices whose connections are recorded; empty = every connection (services too).\n"
               "A chosen device's connection is recorded from its hello on. In the environment:\n"
               "comma-separated."),
      }};
}

}  // namespace kite::server::config::fields
