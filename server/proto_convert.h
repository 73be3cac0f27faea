// Conversions between the wire types of tensord.v1 and the engine's types.
#ifndef TENSORD_SERVER_PROTO_CONVERT_H_
#define TENSORD_SERVER_PROTO_CONVERT_H_

#include <map>
#include <string>

#include "absl/status/statusor.h"
#include "autograd/attrs.h"
#include "device/dtype.h"
#include "tensord/v1/tensord.pb.h"

namespace tensord::server {

absl::StatusOr<device::DType> FromProto(v1::DType d);
v1::DType ToProto(device::DType d);
absl::StatusOr<autograd::AttrValue> FromProto(const v1::AttrValue& v);
absl::StatusOr<std::map<std::string, autograd::AttrValue>> FromProto(
    const google::protobuf::Map<std::string, v1::AttrValue>& attrs);

}  // namespace tensord::server

#endif  // TENSORD_SERVER_PROTO_CONVERT_H_
