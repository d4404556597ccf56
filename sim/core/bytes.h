#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

namespace sim {

/// Appends plain values to a byte buffer in the machine's own representation: for state that
/// the same binary on the same machine reads back (checkpoints), never for exchange.
class ByteWriter {
 public:
  template <class T>
  requires std::is_trivially_copyable_v<T>
  void put(const T& value) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(&value);
    buffer_.insert(buffer_.end(), bytes, bytes + sizeof(T));
  }
  /// The element count, then the elements.
  template <class T>
  requires std::is_trivially_copyable_v<T>
  void put_span(std::span<const T> values) {
    put<std::uint64_t>(values.size());
    if (values.empty()) return;
    const auto* bytes = reinterpret_cast<const unsigned char*>(values.data());
    buffer_.insert(buffer_.end(), bytes, bytes + values.size_bytes());
  }
  void put_string(const std::string& text) {
    put_span(std::span<const char>(text.data(), text.size()));
  }
  /// Room for `bytes` more bytes, so that a writer that knows its size copies nothing twice.
  void reserve(std::size_t bytes) { buffer_.reserve(buffer_.size() + bytes); }
  /// The bytes put_span takes for `count` elements of T.
  template <class T>
  static constexpr std::size_t span_bytes(std::size_t count) {
    return sizeof(std::uint64_t) + count * sizeof(T);
  }

  const std::vector<unsigned char>& bytes() const { return buffer_; }
  std::vector<unsigned char>& bytes() { return buffer_; }

 private:
  std::vector<unsigned char> buffer_;
};

/// Reads what a ByteWriter wrote. Throws std::runtime_error("truncated ...") rather than read
/// past the end, so a damaged file gives an error, never garbage.
class ByteReader {
 public:
  explicit ByteReader(std::span<const unsigned char> bytes) : bytes_(bytes) {}

  template <class T>
  requires std::is_trivially_copyable_v<T> T get() {
    need(sizeof(T));
    T value;
    std::memcpy(&value, bytes_.data() + at_, sizeof(T));
    at_ += sizeof(T);
    return value;
  }
  /// A count-prefixed array (put_span's) left where it is: its count, and copy_to to copy it
  /// out once (the bytes need not be aligned for T).
  template <class T>
  requires std::is_trivially_copyable_v<T>
  struct Packed {
    const unsigned char* bytes = nullptr;
    std::size_t count = 0;
    void copy_to(T* out) const {
      // memcpy from or to an empty vector's null data() is undefined, even for 0 bytes.
      if (count > 0) std::memcpy(out, bytes, count * sizeof(T));
    }
  };
  template <class T>
  requires std::is_trivially_copyable_v<T> Packed<T> get_packed() {
    const auto count = get<std::uint64_t>();
    if (count > (bytes_.size() - at_) / sizeof(T)) {
      throw std::runtime_error("truncated data (a count beyond the end)");
    }
    const Packed<T> packed{bytes_.data() + at_, static_cast<std::size_t>(count)};
    at_ += packed.count * sizeof(T);
    return packed;
  }
  template <class T>
  requires std::is_trivially_copyable_v<T> std::vector<T> get_vector() {
    const Packed<T> packed = get_packed<T>();
    std::vector<T> values(packed.count);
    packed.copy_to(values.data());
    return values;
  }
  std::string get_string() {
    const std::vector<char> characters = get_vector<char>();
    return std::string(characters.begin(), characters.end());
  }

  std::size_t position() const { return at_; }
  bool at_end() const { return at_ == bytes_.size(); }

 private:
  void need(std::size_t count) const {
    if (bytes_.size() - at_ < count) throw std::runtime_error("truncated data");
  }

  std::span<const unsigned char> bytes_;
  std::size_t at_ = 0;
};

}  // namespace sim
