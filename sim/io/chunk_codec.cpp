#include "sim/io/chunk_codec.h"

#include <zlib.h>

#include <algorithm>
#include <cstring>
#include <stdexcept>
#include <string>

namespace sim::io {
namespace {

// One zlib deflate stream per thread, reset between chunks instead of allocated each time.
class Deflater {
 public:
  Deflater() = default;
  Deflater(const Deflater&) = delete;
  Deflater& operator=(const Deflater&) = delete;
  ~Deflater() {
    if (level_ > 0) deflateEnd(&stream_);
  }

  // The stream, ready for a new chunk at `level`.
  z_stream& stream(int level) {
    if (level != level_) {
      if (level_ > 0) deflateEnd(&stream_);
      level_ = 0;
      stream_ = z_stream{};
      const int strategy = level == 1 ? Z_RLE : Z_DEFAULT_STRATEGY;
      if (deflateInit2(&stream_, level, Z_DEFLATED, 15, 8, strategy) != Z_OK) {
        throw std::runtime_error("encode_chunk: zlib cannot start");
      }
      level_ = level;
    } else if (deflateReset(&stream_) != Z_OK) {
      throw std::runtime_error("encode_chunk: zlib cannot restart");
    }
    return stream_;
  }

 private:
  z_stream stream_{};
  int level_ = 0;
};

}  // namespace

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
  // Deflate (HDF5's H5Z_FILTER_DEFLATE): one zlib stream. HDF5 makes it with compress2 at the
  // level; at level 1, the speed setting, the run-length strategy makes a valid stream of the
  // same format about 1.8 times faster, and about 10% larger, on shuffled doubles.
  thread_local Deflater deflater;
  z_stream& stream = deflater.stream(std::clamp(gzip_level, 1, 9));
  out.resize(deflateBound(&stream, static_cast<uLong>(bytes)));
  stream.next_in = shuffled.data();
  stream.avail_in = static_cast<uInt>(bytes);
  stream.next_out = out.data();
  stream.avail_out = static_cast<uInt>(out.size());
  const int status = deflate(&stream, Z_FINISH);
  if (status != Z_STREAM_END) {
    throw std::runtime_error("encode_chunk: zlib failed (" + std::to_string(status) + ")");
  }
  const auto size = static_cast<std::size_t>(stream.total_out);
  out.resize(size);
}

}  // namespace sim::io
