// The fields of a Kite message as `kite decode` prints them, read through the protocol's binary
// schema (protocol/schema/kite.fbs, compiled by flatc into the kite binary at build time) rather
// than written out message by message: a field added to the schema is printed without a change
// here.
//
// Each field by its schema name, in the order the schema declares them; deprecated fields left
// out. Scalars always (the schema's default when the sender left one out, as FlatBuffers reads
// them); enums by name, or by number for a value this kite does not know (a newer peer); strings,
// vectors and tables only when present. Byte vectors ([ubyte]) go through `bytes`, as does
// Hello.token (see schema_fields.cc); other vectors become arrays.
#pragma once

#include <flatbuffers/reflection_generated.h>
#include <nlohmann/json.hpp>

#include <cstdint>
#include <functional>
#include <span>
#include <vector>

#include "kite/wire/kite_generated.h"

namespace kite::cli {

class SchemaFields {
 public:
  using Json = nlohmann::ordered_json;
  using BytesFormat = std::function<Json(std::span<const std::uint8_t>)>;

  explicit SchemaFields(BytesFormat bytes);

  // The fields of `frame`'s message; {} for a message type the schema does not know.
  Json message(const wire::Frame& frame) const;

 private:
  // Objects (tables and structs) and enums go by their index in the schema, as its types name
  // them.
  const reflection::Object& object(int index) const;
  Json table(int index, const flatbuffers::Table& table) const;
  void put_field(Json& out, const reflection::Object& parent, const reflection::Field& field,
                 const flatbuffers::Table& table) const;
  // The object a union field holds, or -1 (none, or a member this schema does not know).
  int union_member(const reflection::Object& parent, const reflection::Field& field,
                   const flatbuffers::Table& table) const;
  Json vector(const reflection::Type& type, const flatbuffers::VectorOfAny& vector) const;
  Json element(const reflection::Type& type, const flatbuffers::VectorOfAny& vector,
               flatbuffers::uoffset_t i) const;
  Json structure(int index, const std::uint8_t* data) const;
  // `number` as the name the enum gives it, if the scalar is of an enum and the value is known.
  Json named(int enum_index, Json number) const;

  const reflection::Schema& schema_;
  // Per object of the schema (by its index), its fields in declaration order: the schema keeps
  // them sorted by name.
  std::vector<std::vector<const reflection::Field*>> fields_;
  BytesFormat bytes_;
};

}  // namespace kite::cli
