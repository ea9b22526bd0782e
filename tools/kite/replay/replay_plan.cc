#include "replay/replay_plan.h"

#include <algorithm>
#include <span>

#include "common/frame_reader.h"

namespace kite::cli {
namespace {

std::string text_of(const flatbuffers::String* s) {
  return s ? s->str() : std::string();
}

std::vector<std::uint8_t> bytes_of(const flatbuffers::Vector<std::uint8_t>* v) {
  return v ? std::vector<std::uint8_t>(v->begin(), v->end()) : std::vector<std::uint8_t>();
}

std::vector<std::string> groups_of(
    const flatbuffers::Vector<flatbuffers::Offset<flatbuffers::String>>* v) {
  std::vector<std::string> out;
  if (v)
    for (const auto* s : *v) out.push_back(text_of(s));
  return out;
}

// The step a captured uplink message becomes; false for what the new session does by itself.
bool step_of(const wire::Frame& frame, ReplayStep& step) {
  switch (frame.message_type()) {
    case wire::Message::Publish: {
      const auto* p = frame.message_as_Publish();
      step.kind = ReplayStepKind::Publish;
      step.payload = bytes_of(p->payload());
      step.qos = p->qos();
      step.ttl_ms = p->ttl_ms();
      step.topic = text_of(p->topic());
      step.content_type = text_of(p->content_type());
      step.conflation_key = text_of(p->conflation_key());
      step.message_id = text_of(p->message_id());
      return true;
    }
    case wire::Message::Reply: {
      const auto* r = frame.message_as_Reply();
      step.kind = ReplayStepKind::Reply;
      step.id = r->id();
      step.status = r->status();
      step.payload = bytes_of(r->payload());
      return true;
    }
    case wire::Message::Subscribe:
      step.kind = ReplayStepKind::Subscribe;
      step.id = frame.message_as_Subscribe()->request_id();
      step.groups = groups_of(frame.message_as_Subscribe()->groups());
      return true;
    case wire::Message::Unsubscribe:
      step.kind = ReplayStepKind::Unsubscribe;
      step.id = frame.message_as_Unsubscribe()->request_id();
      step.groups = groups_of(frame.message_as_Unsubscribe()->groups());
      return true;
    default:
      return false;
  }
}

DevicePlan plan_connection(const capture::Transcript& t, FrameReader& reader) {
  DevicePlan plan;
  plan.connection = t.key.text();
  plan.problems = t.errors;
  std::string problem;
  std::int64_t first_ns = -1;
  std::vector<std::uint64_t> qos1_seqs;  // of the captured publishes kited had to ack
  for (const auto& captured : t.uplink) {
    const wire::Frame* frame = reader.read(captured.bytes, problem);
    if (!frame) {
      plan.problems.push_back("uplink frame: " + problem);
      continue;
    }
    if (frame->message_type() == wire::Message::Hello) {
      plan.device_id = text_of(frame->message_as_Hello()->device_id());
      continue;
    }
    if (frame->message_type() == wire::Message::Auth) continue;  // the handshake is done afresh
    ReplayStep step;
    if (!step_of(*frame, step)) {
      ++plan.skipped_uplink;
      continue;
    }
    if (step.kind == ReplayStepKind::Publish && step.qos == protocol::Qos::AtLeastOnce)
      qos1_seqs.push_back(frame->message_as_Publish()->seq());
    if (first_ns < 0) first_ns = captured.time_ns;
    step.offset_ns = captured.time_ns - first_ns;
    plan.steps.push_back(std::move(step));
  }
  plan.captured_uplink = plan.steps.size();
  std::uint64_t acked_through = 0;  // acks are cumulative: the highest one covers the rest
  for (const auto& captured : t.downlink) {
    const wire::Frame* frame = reader.read(captured.bytes, problem);
    if (!frame) continue;  // a downlink frame is only counted, never replayed
    if (frame->message_type() == wire::Message::Publish) ++plan.captured_downlink;
    if (frame->message_type() == wire::Message::Ack)
      acked_through = std::max(acked_through, frame->message_as_Ack()->seq());
  }
  plan.captured_acks = static_cast<std::uint64_t>(std::count_if(
      qos1_seqs.begin(), qos1_seqs.end(), [&](std::uint64_t seq) { return seq <= acked_through; }));
  if (plan.device_id.empty())
    plan.problems.push_back("its Hello was not captured: the device id is unknown");
  return plan;
}

}  // namespace

std::vector<DevicePlan> plan_replay(
    const std::map<capture::ConnectionKey, capture::Transcript>& transcripts,
    std::shared_ptr<const protocol::DictionarySet> dictionaries) {
  FrameReader reader(std::move(dictionaries));
  std::vector<DevicePlan> plans;
  for (const auto& [key, transcript] : transcripts)
    plans.push_back(plan_connection(transcript, reader));
  return plans;
}

}  // namespace kite::cli
