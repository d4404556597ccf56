#include "sim/io/chunk_codec.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace sim::io {

void encode_chunk(std::span<const double> values, std::size_t chunk_values, int gzip_level,
                  std::vector<unsigned char>& out) {
  if (values.size() > chunk_values) {
    throw std::invalid_argument("encode_chunk: more values than the chunk holds");
  }
  constexpr std::size_t kWidth = sizeof(double);
  const std::size_t bytes = chunk_values * kWidth;
  if (gzip_level <= 0) {
    out.assign(bytes, 0);
    if (!values.empty()) std::memcpy(out.data(), values.data(), values.size() * kWidth);
    return;
  }
  // Byte shuffle (HDF5's H5Z_FILTER_SHUFFLE): byte j of element i goes to j * n + i, so the
  // slowly varying sign/exponent bytes of neighbouring values sit together for deflate.
  thread_local std::vector<unsigned char> shuffled;
  shuffled.assign(bytes, 0);
  const auto* source = reinterpret_cast<const unsigned char*>(values.data());
  const std::size_t present = values.size();
  for (std::size_t j = 0; j < kWidth; ++j) {
    unsigned char* lane = shuffled.data() + j * chunk_values;
    for (std::size_t i = 0; i < present; ++i) lane[i] = source[i * kWidth + j];
  }
  // Deflate (HDF5's H5Z_FILTER_DEFLATE): one zlib stream, as compress2 makes it.
  uLongf size = compressBound(static_cast<uLong>(bytes));
  out.resize(size);
  const int status = compress2(out.data(), &size, shuffled.data(), static_cast<uLong>(bytes),
                               std::clamp(gzip_level, 1, 9));
  if (status != Z_OK) {
    throw std::runtime_error("encode_chunk: zlib failed (" + std::to_string(status) + ")");
  }
  out.resize(size);
}

}  // namespace sim::io
