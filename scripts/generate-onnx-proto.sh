#!/usr/bin/env bash
# Regenerates Sources/ONNXInterchange/Proto/onnx-subset.pb.swift from onnx-subset.proto.
# Run by hand after editing the .proto; the build never runs protoc or its plugin.
#
# Needs protoc (Debian's protobuf-compiler, or `python -m grpc_tools.protoc` from pip's
# grpcio-tools: set PROTOC="python -m grpc_tools.protoc") and protoc-gen-swift of the
# swift-protobuf version Package.swift names (1.39.0), built once outside the repository:
#   git clone https://github.com/apple/swift-protobuf /tmp/swift-protobuf
#   git -C /tmp/swift-protobuf checkout 1.39.0
#   (cd /tmp/swift-protobuf && swift build -c release --product protoc-gen-swift)
#   PROTOC_GEN_SWIFT=/tmp/swift-protobuf/.build/release/protoc-gen-swift scripts/generate-onnx-proto.sh
set -euo pipefail
cd "$(dirname "$0")/.."
dir=Sources/ONNXInterchange/Proto
plugin=${PROTOC_GEN_SWIFT:-$(command -v protoc-gen-swift || true)}
[ -x "$plugin" ] || { echo "protoc-gen-swift not found: set PROTOC_GEN_SWIFT" >&2; exit 1; }
${PROTOC:-protoc} --plugin=protoc-gen-swift="$plugin" --proto_path="$dir" \
  --swift_out="$dir" --swift_opt=Visibility=Internal onnx-subset.proto
echo "wrote $dir/onnx-subset.pb.swift"
