#pragma once

#include <cstdint>
#include <string>

namespace sim::io {

/// An HDF5 identifier (`hid_t`); the .cpp checks that the types match, so no HDF5 header leaks.
using H5Id = std::int64_t;

/// Element types the wrapper stores: the C++-to-HDF5 type map.
enum class ElementType { float64, float32, int32, int64, uint64, string };

/// The element type of a C++ type (double, float, int32, int64, uint64, std::string).
template <class T>
struct ElementTypeOf;
template <>
struct ElementTypeOf<double> {
  static constexpr ElementType value = ElementType::float64;
};
template <>
struct ElementTypeOf<float> {
  static constexpr ElementType value = ElementType::float32;
};
template <>
struct ElementTypeOf<std::int32_t> {
  static constexpr ElementType value = ElementType::int32;
};
template <>
struct ElementTypeOf<std::int64_t> {
  static constexpr ElementType value = ElementType::int64;
};
template <>
struct ElementTypeOf<std::uint64_t> {
  static constexpr ElementType value = ElementType::uint64;
};
template <>
struct ElementTypeOf<std::string> {
  static constexpr ElementType value = ElementType::string;
};

/// Name of an element type for messages ("float64", "string", ...).
const char* element_type_name(ElementType type);

/// Owns one HDF5 identifier of any kind and closes it with the matching H5*close. Move-only.
class H5Handle {
 public:
  H5Handle() = default;
  /// Takes ownership of `id` (a negative id is stored as invalid).
  explicit H5Handle(H5Id id) : id_(id) {}
  H5Handle(H5Handle&& other) noexcept;
  H5Handle& operator=(H5Handle&& other) noexcept;
  H5Handle(const H5Handle&) = delete;
  H5Handle& operator=(const H5Handle&) = delete;
  /// Closes the identifier; never throws (errors are ignored here; call close() to see them).
  ~H5Handle();

  /// The identifier, still owned by this handle; negative when empty.
  H5Id get() const { return id_; }
  /// True while the handle owns an identifier.
  bool valid() const { return id_ >= 0; }
  /// Closes now. Throws OutputError (message `what`) when HDF5 reports a failure.
  void close(const std::string& what);

 private:
  H5Id id_ = -1;
};

}  // namespace sim::io
