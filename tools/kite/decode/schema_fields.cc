#include "decode/schema_fields.h"

#include <flatbuffers/reflection.h>

#include <algorithm>
#include <string>
#include <string_view>
#include <utility>

#include "kite/wire/kite_bfbs_generated.h"

namespace kite::cli {
namespace {

using Json = SchemaFields::Json;
using reflection::BaseType;

// String fields shown like byte fields (text or hex, cut to --max-payload), which the schema
// cannot say: a token is a credential, often as long as a payload.
bool shown_as_bytes(const reflection::Object& object, const reflection::Field& field) {
  return object.name()->string_view() == "kite.wire.Hello" &&
         field.name()->string_view() == "token";
}

template <typename T>
Json number_at(const std::uint8_t* data) {
  return flatbuffers::ReadScalar<T>(data);
}

// The scalar of type `type` at `data`, where FlatBuffers keeps it little-endian.
Json scalar_at(BaseType type, const std::uint8_t* data) {
  switch (type) {
    case BaseType::Bool:
      return flatbuffers::ReadScalar<std::uint8_t>(data) != 0;
    case BaseType::Byte:
      return number_at<std::int8_t>(data);
    case BaseType::UType:
    case BaseType::UByte:
      return number_at<std::uint8_t>(data);
    case BaseType::Short:
      return number_at<std::int16_t>(data);
    case BaseType::UShort:
      return number_at<std::uint16_t>(data);
    case BaseType::Int:
      return number_at<std::int32_t>(data);
    case BaseType::UInt:
      return number_at<std::uint32_t>(data);
    case BaseType::Long:
      return number_at<std::int64_t>(data);
    case BaseType::ULong:
      return number_at<std::uint64_t>(data);
    case BaseType::Float:
      return number_at<float>(data);
    case BaseType::Double:
      return number_at<double>(data);
    default:
      return nullptr;  // not a scalar
  }
}

bool is_unsigned(BaseType type) {
  return type == BaseType::UType || type == BaseType::UByte || type == BaseType::UShort ||
         type == BaseType::UInt || type == BaseType::ULong;
}

// What a reader of the table gets for a scalar field the sender left out.
Json default_of(const reflection::Field& field) {
  const BaseType type = field.type()->base_type();
  if (type == BaseType::Bool) return field.default_integer() != 0;
  if (flatbuffers::IsFloat(type)) return field.default_real();
  if (is_unsigned(type)) return static_cast<std::uint64_t>(field.default_integer());
  return field.default_integer();
}

std::span<const std::uint8_t> bytes_of(const flatbuffers::String& s) {
  return {reinterpret_cast<const std::uint8_t*>(s.data()), s.size()};
}

}  // namespace

SchemaFields::SchemaFields(BytesFormat bytes)
    : schema_(*reflection::GetSchema(wire::FrameBinarySchema::data())), bytes_(std::move(bytes)) {
  const auto& objects = *schema_.objects();
  fields_.resize(objects.size());
  for (flatbuffers::uoffset_t i = 0; i < objects.size(); ++i) {
    auto& in_order = fields_[i];
    for (const reflection::Field* field : *objects.Get(i)->fields()) in_order.push_back(field);
    std::sort(in_order.begin(), in_order.end(),
              [](const auto* a, const auto* b) { return a->id() < b->id(); });
  }
}

Json SchemaFields::message(const wire::Frame& frame) const {
  const reflection::Object& root = *schema_.root_table();
  // Frame is a table like any other; its generated class only hides that.
  const auto& table = reinterpret_cast<const flatbuffers::Table&>(frame);
  const reflection::Field* field = root.fields()->LookupByKey("message");
  const int member = field ? union_member(root, *field, table) : -1;
  const flatbuffers::Table* body = field ? flatbuffers::GetFieldT(table, *field) : nullptr;
  return member >= 0 && body ? this->table(member, *body) : Json::object();
}

const reflection::Object& SchemaFields::object(int index) const {
  return *schema_.objects()->Get(static_cast<flatbuffers::uoffset_t>(index));
}

Json SchemaFields::table(int index, const flatbuffers::Table& table) const {
  Json out = Json::object();
  for (const reflection::Field* field : fields_[static_cast<std::size_t>(index)])
    if (!field->deprecated()) put_field(out, object(index), *field, table);
  return out;
}

void SchemaFields::put_field(Json& out, const reflection::Object& parent,
                             const reflection::Field& field,
                             const flatbuffers::Table& table) const {
  const reflection::Type& type = *field.type();
  const std::string name = field.name()->str();
  switch (type.base_type()) {
    case BaseType::String:
      if (const auto* s = flatbuffers::GetFieldS(table, field))
        out[name] = shown_as_bytes(parent, field) ? bytes_(bytes_of(*s)) : Json(s->str());
      return;
    case BaseType::Vector:
      if (const auto* v = flatbuffers::GetFieldAnyV(table, field)) out[name] = vector(type, *v);
      return;
    case BaseType::Obj:
      if (object(type.index()).is_struct()) {
        if (const auto* data = table.GetStruct<const std::uint8_t*>(field.offset()))
          out[name] = structure(type.index(), data);
      } else if (const auto* nested = flatbuffers::GetFieldT(table, field)) {
        out[name] = this->table(type.index(), *nested);
      }
      return;
    case BaseType::Union:
      if (const int member = union_member(parent, field, table); member >= 0)
        if (const auto* body = flatbuffers::GetFieldT(table, field))
          out[name] = this->table(member, *body);
      return;
    default: {
      const std::uint8_t* data = table.GetAddressOf(field.offset());
      out[name] = named(type.index(), data ? scalar_at(type.base_type(), data) : default_of(field));
    }
  }
}

int SchemaFields::union_member(const reflection::Object& parent, const reflection::Field& field,
                               const flatbuffers::Table& table) const {
  // flatc gives every union field a companion "<name>_type" field holding the member's tag.
  const std::string tag_name = field.name()->str() + flatbuffers::UnionTypeFieldSuffix();
  const reflection::Field* tag = parent.fields()->LookupByKey(tag_name.c_str());
  if (tag == nullptr) return -1;
  const reflection::Enum& members =
      *schema_.enums()->Get(static_cast<flatbuffers::uoffset_t>(field.type()->index()));
  const reflection::EnumVal* member =
      members.values()->LookupByKey(flatbuffers::GetFieldI<std::uint8_t>(table, *tag));
  return member && member->union_type() ? member->union_type()->index() : -1;
}

Json SchemaFields::vector(const reflection::Type& type,
                          const flatbuffers::VectorOfAny& vector) const {
  if (type.element() == BaseType::UByte && type.index() < 0)
    return bytes_({vector.Data(), vector.size()});
  Json list = Json::array();
  for (flatbuffers::uoffset_t i = 0; i < vector.size(); ++i)
    list.push_back(element(type, vector, i));
  return list;
}

Json SchemaFields::element(const reflection::Type& type, const flatbuffers::VectorOfAny& vector,
                           flatbuffers::uoffset_t i) const {
  switch (type.element()) {
    case BaseType::String:
      return flatbuffers::GetAnyVectorElemPointer<const flatbuffers::String>(&vector, i)->str();
    case BaseType::Obj:
      if (object(type.index()).is_struct())
        return structure(type.index(), vector.Data() + i * static_cast<std::size_t>(
                                                               object(type.index()).bytesize()));
      return table(type.index(),
                   *flatbuffers::GetAnyVectorElemPointer<const flatbuffers::Table>(&vector, i));
    default:
      return named(
          type.index(),
          scalar_at(type.element(), vector.Data() + i * flatbuffers::GetTypeSize(type.element())));
  }
}

Json SchemaFields::structure(int index, const std::uint8_t* data) const {
  Json out = Json::object();
  for (const reflection::Field* field : fields_[static_cast<std::size_t>(index)]) {
    const reflection::Type& type = *field->type();
    const std::uint8_t* at = data + field->offset();
    if (type.base_type() == BaseType::Obj)
      out[field->name()->str()] = structure(type.index(), at);
    else if (flatbuffers::IsScalar(type.base_type()))
      out[field->name()->str()] = named(type.index(), scalar_at(type.base_type(), at));
  }
  return out;
}

Json SchemaFields::named(int enum_index, Json number) const {
  if (enum_index < 0 || !number.is_number_integer()) return number;
  const reflection::Enum& definition =
      *schema_.enums()->Get(static_cast<flatbuffers::uoffset_t>(enum_index));
  const reflection::EnumVal* value = definition.values()->LookupByKey(number.get<std::int64_t>());
  return value ? Json(value->name()->str()) : number;
}

}  // namespace kite::cli
