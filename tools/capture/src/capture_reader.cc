#include "kite/capture/capture_reader.h"

namespace kite::capture {

CaptureReader::CaptureReader(std::vector<CaptureInput> inputs, CaptureOptions options)
    : options_(options),
      tracker_(options.server_port, options.max_out_of_order),
      order_(options.reorder_window_ns) {
  sources_.resize(inputs.size());
  states_.resize(inputs.size());
  for (std::size_t i = 0; i < inputs.size(); ++i) {
    states_[i].name = inputs[i].name;
    sources_[i].input = std::move(inputs[i]);
    open(i);
  }
}

std::vector<CaptureInput> CaptureReader::open_files(const std::vector<std::string>& paths) {
  std::vector<CaptureInput> inputs;
  for (const auto& path : paths) {
    CaptureInput input;
    input.name = path;
    input.source = FileSource::open(path, input.error);
    inputs.push_back(std::move(input));
  }
  return inputs;
}

void CaptureReader::open(std::size_t index) {
  Source& s = sources_[index];
  InputState& state = states_[index];
  if (!s.input.source) {
    state.error = s.input.error.empty() ? "no input" : s.input.error;
    return;
  }
  s.reader = std::make_unique<PcapReader>(*s.input.source);
  if (!s.reader->open()) {
    state.error = s.reader->error();
    return;
  }
  state.link_type = s.reader->header().link_type;
  if (!state.recording() && !is_ip_link_type(state.link_type)) {
    state.error = "link type " + std::to_string(state.link_type) +
                  " is not one kite reads: 147 (a Kite recording), or for tcpdump captures 0 "
                  "(BSD loopback), 1 (Ethernet), 101, 228, 229 (raw IP), 113, 276 (Linux cooked)";
    return;
  }
  read_head(index);
}

void CaptureReader::read_head(std::size_t index) {
  Source& s = sources_[index];
  s.has_head = false;
  switch (s.reader->next(s.head)) {
    case PcapReader::Status::Packet:
      s.has_head = true;
      ++states_[index].packets;
      ++stats_.packets;
      break;
    case PcapReader::Status::End:
      break;
    case PcapReader::Status::Error:
      states_[index].error = s.reader->error();
      break;
  }
}

bool CaptureReader::take_earliest() {
  std::size_t earliest = sources_.size();
  for (std::size_t i = 0; i < sources_.size(); ++i) {
    if (!sources_[i].has_head) continue;
    if (earliest == sources_.size() || sources_[i].head.time_ns < sources_[earliest].head.time_ns)
      earliest = i;
  }
  if (earliest == sources_.size()) return false;
  handle(earliest, sources_[earliest].head);  // before the next read reuses the packet's bytes
  read_head(earliest);
  return true;
}

void CaptureReader::handle(std::size_t index, const Packet& packet) {
  last_ = {packet.time_ns, index};
  const Source& s = sources_[index];
  if (states_[index].recording()) {
    auto decoder = recordings_.try_emplace(s.input.origin, s.input.origin).first;
    decoder->second.add(packet, index, scratch_);
    return;
  }
  const ParsedPacket parsed = parse_packet(states_[index].link_type, packet.data);
  ++stats_.skipped[static_cast<std::size_t>(parsed.skip)];
  if (parsed.skip != Skip::None) return;
  if (parsed.segment.cut_short) ++stats_.cut_short;
  tracker_.add(parsed.segment, last_, scratch_);
  stats_.other_port_segments = tracker_.other_port_segments();
  stats_.tcp_connections = tracker_.connections_seen();
}

bool CaptureReader::next(Event& event) {
  while (!order_.pop(event, finished_)) {
    if (finished_) return false;
    scratch_.clear();
    if (!take_earliest()) {
      finished_ = true;
      tracker_.finish(last_, scratch_);
    }
    for (auto& e : scratch_) order_.push(std::move(e));
  }
  return true;
}

bool CaptureReader::all_read() const {
  for (const auto& state : states_)
    if (!state.error.empty()) return false;
  return true;
}

}  // namespace kite::capture
