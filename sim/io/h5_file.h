#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "sim/io/h5_disk_driver.h"
#include "sim/io/h5_handle.h"

namespace sim::io {

/// How a dataset is stored. An empty `chunk` means contiguous, unless an axis has length 0:
/// such datasets are always chunked with unlimited maximum size on the empty axes.
struct DatasetLayout {
  /// Chunk shape, one entry per axis, each >= 1; empty for contiguous.
  std::vector<std::uint64_t> chunk;
  /// gzip level 0..9 (0 = no compression); needs a chunked layout.
  int gzip_level = 0;
  /// Byte shuffle before compression.
  bool shuffle = false;
  /// The first axis may grow (unlimited maximum extent; see H5Dataset::append). Needs a chunk.
  bool extendible = false;
};

class H5Dataset;

/// A file (its root group) or dataset that carries attributes: what H5File and H5Dataset share.
/// Every failure throws OutputError naming the file and the object.
class H5Object {
 public:
  /// Writes a scalar variable-length UTF-8 string attribute (replacing one of the same name).
  void write_string_attribute(const std::string& name, std::string_view value);
  /// Writes a 1-D variable-length UTF-8 string array attribute.
  void write_string_array_attribute(const std::string& name, std::span<const std::string> values);
  /// Writes a scalar numeric attribute.
  template <class T>
  void write_attribute(const std::string& name, T value) {
    static_assert(std::is_arithmetic_v<T>, "use write_string_attribute for strings");
    write_numeric_attribute(name, ElementTypeOf<T>::value, &value, 1, true);
  }
  /// Writes a 1-D numeric array attribute.
  template <class T>
  void write_array_attribute(const std::string& name, std::span<const T> values) {
    static_assert(std::is_arithmetic_v<T>, "use write_string_array_attribute for strings");
    write_numeric_attribute(name, ElementTypeOf<T>::value, values.data(), values.size(), false);
  }

  /// True when the object has an attribute called `name`.
  bool has_attribute(const std::string& name) const;
  /// Attribute names in creation order (name order when the file does not track it).
  std::vector<std::string> attribute_names() const;
  /// The stored element type of an attribute. Throws OutputError for types outside the map.
  ElementType attribute_type(const std::string& name) const;
  /// Reads a scalar string attribute. Throws OutputError when missing or not a string.
  std::string read_string_attribute(const std::string& name) const;
  /// Reads a string attribute of any rank as a flat list.
  std::vector<std::string> read_string_array_attribute(const std::string& name) const;
  /// Reads a numeric attribute of any rank as a flat list, converted to T by HDF5.
  template <class T>
  std::vector<T> read_array_attribute(const std::string& name) const {
    std::vector<T> values(numeric_attribute_size(name));
    read_numeric_attribute(name, ElementTypeOf<T>::value, values.data());
    return values;
  }
  /// Reads a numeric attribute that must hold exactly one value.
  template <class T>
  T read_attribute(const std::string& name) const {
    const std::vector<T> values = read_array_attribute<T>(name);
    require_one_value(name, values.size());
    return values.front();
  }

  /// "FILE" for the root, "FILE:/name" for a dataset; used in messages.
  std::string where() const;

 protected:
  H5Object(std::filesystem::path file, std::string name, H5Handle handle);
  H5Object(H5Object&&) noexcept = default;
  H5Object& operator=(H5Object&&) noexcept = default;
  ~H5Object() = default;

  H5Id id() const { return handle_.get(); }
  [[noreturn]] void fail(const std::string& problem) const;

  std::filesystem::path file_;
  std::string name_;
  H5Handle handle_;

 private:
  void write_numeric_attribute(const std::string& name, ElementType type, const void* data,
                               std::size_t count, bool scalar);
  std::size_t numeric_attribute_size(const std::string& name) const;
  void read_numeric_attribute(const std::string& name, ElementType type, void* data) const;
  void require_one_value(const std::string& name, std::size_t count) const;
};

/// One dataset of an open file. Move-only; closes itself.
class H5Dataset : public H5Object {
 public:
  H5Dataset(H5Dataset&&) noexcept = default;
  H5Dataset& operator=(H5Dataset&&) noexcept = default;

  /// The dataset's name in the root group.
  const std::string& name() const { return name_; }
  /// Current extent of each axis.
  std::vector<std::uint64_t> dims() const;
  /// Number of elements (product of dims).
  std::uint64_t size() const;
  /// The stored element type. Throws OutputError for types outside the map.
  ElementType element_type() const;
  /// Reads all values, converted to T by HDF5. Throws OutputError for a string dataset.
  template <class T>
  std::vector<T> read() const {
    std::vector<T> values(static_cast<std::size_t>(size()));
    read_numeric(ElementTypeOf<T>::value, values.data());
    return values;
  }
  /// Reads all values of a variable-length string dataset.
  std::vector<std::string> read_strings() const;

  /// Writes all values (row-major, size = product of dims), converted from T by HDF5.
  template <class T>
  void write(std::span<const T> values) {
    write_numeric(ElementTypeOf<T>::value, values.data(), values.size());
  }
  /// Appends `values` along the first axis of this 1-D extendible dataset.
  template <class T>
  void append(std::span<const T> values) {
    append_numeric(ElementTypeOf<T>::value, values.data(), values.size());
  }
  /// Stores one chunk as it is on disk, already filtered (shuffled and compressed as the dataset's
  /// filters say): `offset` is the chunk's first element, a multiple of the chunk shape.
  void write_chunk(std::span<const std::uint64_t> offset, std::span<const unsigned char> bytes);

  /// Turns this 1-D dataset into a dimension scale named `dimension`.
  void make_dimension_scale(const std::string& dimension);
  /// Attaches the dimension scale `scale` to axis `axis` of this dataset.
  void attach_dimension_scale(const H5Dataset& scale, unsigned axis);
  /// Closes now. Throws OutputError on failure.
  void close();

 private:
  friend class H5File;
  H5Dataset(std::filesystem::path file, std::string name, H5Handle handle)
      : H5Object(std::move(file), std::move(name), std::move(handle)) {}
  void read_numeric(ElementType type, void* data) const;
  void write_numeric(ElementType type, const void* data, std::size_t count);
  void append_numeric(ElementType type, const void* data, std::size_t count);
};

/// An HDF5 file. Creating one turns HDF5's automatic error printing off for the calling thread;
/// errors become OutputError exceptions instead. Move-only; the destructor closes without
/// throwing, close() reports failures.
class H5File : public H5Object {
 public:
  /// Creates a file that tracks link and attribute creation order, as netCDF does. It is built in
  /// memory (`size_hint` bytes expected, 0 if unknown) and nothing touches the disk until close()
  /// writes `path` in one go, so a full disk surfaces as an OutputError from close().
  static H5File create(const std::filesystem::path& path, std::uint64_t size_hint = 0);
  /// Creates a file like create() but written to disk as datasets are written (memory does not
  /// grow with the data). A write that fails (disk full, file size limit) does not throw where it
  /// happens: check_disk() and close() report it as OutputError.
  static H5File create_on_disk(const std::filesystem::path& path);
  /// Opens an existing file read-only. Throws OutputError when missing or not HDF5.
  static H5File open_read_only(const std::filesystem::path& path);
  /// True when `path` is a readable HDF5 file.
  static bool is_hdf5(const std::filesystem::path& path);
  /// Version of the HDF5 library in use, "MAJOR.MINOR.RELEASE".
  static std::string library_version();

  H5File(H5File&&) noexcept = default;
  H5File& operator=(H5File&&) noexcept = default;

  /// The file's path on disk.
  const std::filesystem::path& path() const { return file_; }

  /// Creates a numeric dataset of shape `dims` in the root group and writes `data` (row-major,
  /// size = product of dims).
  template <class T>
  H5Dataset create_dataset(const std::string& name, std::span<const std::uint64_t> dims,
                           std::span<const T> data, const DatasetLayout& layout = {}) {
    return create_dataset_raw(name, dims, ElementTypeOf<T>::value, data.data(), data.size(),
                              layout);
  }
  /// Creates a numeric dataset of shape `dims` whose values are written later (H5Dataset::write,
  /// write_chunk or append).
  template <class T>
  H5Dataset create_empty_dataset(const std::string& name, std::span<const std::uint64_t> dims,
                                 const DatasetLayout& layout = {}) {
    return create_dataset_raw(name, dims, ElementTypeOf<T>::value, nullptr, 0, layout);
  }
  /// Throws OutputError when a write to a file of create_on_disk() has failed so far.
  void check_disk() const;
  /// Creates a 1-D variable-length UTF-8 string dataset in the root group.
  H5Dataset create_string_dataset(const std::string& name, std::span<const std::string> values);
  /// True when the root group holds a dataset called `name`.
  bool has_dataset(const std::string& name) const;
  /// Opens a dataset of the root group. Throws OutputError when missing.
  H5Dataset open_dataset(const std::string& name) const;
  /// Closes now; a created file is written to its path (truncating it) and synced. Throws
  /// OutputError on failure, after which a created file's path holds no partial content. All
  /// datasets must be closed first.
  void close();

 private:
  H5File(std::filesystem::path path, H5Handle handle, bool in_memory)
      : H5Object(std::move(path), "/", std::move(handle)), in_memory_(in_memory) {}
  H5File(std::filesystem::path path, H5Handle handle, std::shared_ptr<DiskStatus> disk)
      : H5Object(std::move(path), "/", std::move(handle)), disk_(std::move(disk)) {}
  H5Dataset create_dataset_raw(const std::string& name, std::span<const std::uint64_t> dims,
                               ElementType type, const void* data, std::size_t count,
                               const DatasetLayout& layout);

  bool in_memory_ = false;
  /// The disk driver's record of failures (create_on_disk only).
  std::shared_ptr<DiskStatus> disk_;
};

}  // namespace sim::io
