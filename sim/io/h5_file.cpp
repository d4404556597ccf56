#include "sim/io/h5_file.h"

#include <hdf5.h>
#include <hdf5_hl.h>

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <functional>
#include <stdexcept>
#include <type_traits>

#include "sim/core/error.h"
#include "sim/io/h5_detail.h"

namespace sim::io {

using detail::check_id;
using detail::check_status;
using detail::classify;
using detail::make_string_type;
using detail::native_type;
using detail::product;
using detail::read_string_values;
using detail::silence_hdf5_errors;
using detail::space_size;
using detail::throw_output_error;

H5Object::H5Object(std::filesystem::path file, std::string name, H5Handle handle)
    : file_(std::move(file)), name_(std::move(name)), handle_(std::move(handle)) {}

std::string H5Object::where() const {
  return name_ == "/" ? file_.string() : file_.string() + ":/" + name_;
}

void H5Object::fail(const std::string& problem) const { throw_output_error(where(), problem); }

bool H5Object::has_attribute(const std::string& name) const {
  const htri_t exists = H5Aexists(id(), name.c_str());
  check_status(exists, where(), "cannot look up attribute '" + name + "'");
  return exists > 0;
}

namespace {

herr_t collect_attribute_name(hid_t, const char* name, const H5A_info_t*, void* client) {
  static_cast<std::vector<std::string>*>(client)->emplace_back(name);
  return 0;
}

}  // namespace

std::vector<std::string> H5Object::attribute_names() const {
  std::vector<std::string> names;
  hsize_t index = 0;
  herr_t status =
      H5Aiterate2(id(), H5_INDEX_CRT_ORDER, H5_ITER_INC, &index, collect_attribute_name, &names);
  if (status < 0) {
    // Files written without creation-order tracking can only be listed by name.
    H5Eclear2(H5E_DEFAULT);
    names.clear();
    index = 0;
    status = H5Aiterate2(id(), H5_INDEX_NAME, H5_ITER_INC, &index, collect_attribute_name, &names);
  }
  check_status(status, where(), "cannot list attributes");
  return names;
}

void H5Object::write_string_attribute(const std::string& name, std::string_view value) {
  const std::string what = where() + ": attribute '" + name + "'";
  if (has_attribute(name)) check_status(H5Adelete(id(), name.c_str()), what, "cannot replace");
  H5Handle type = make_string_type(what);
  H5Handle space(check_id(H5Screate(H5S_SCALAR), what, "cannot create dataspace"));
  H5Handle attribute(
      check_id(H5Acreate2(id(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
               what, "cannot create"));
  const std::string copy(value);
  const char* pointer = copy.c_str();
  check_status(H5Awrite(attribute.get(), type.get(), &pointer), what, "cannot write");
  attribute.close(what);
}

void H5Object::write_string_array_attribute(const std::string& name,
                                            std::span<const std::string> values) {
  const std::string what = where() + ": attribute '" + name + "'";
  if (has_attribute(name)) check_status(H5Adelete(id(), name.c_str()), what, "cannot replace");
  H5Handle type = make_string_type(what);
  const hsize_t dims[1] = {values.size()};
  H5Handle space(check_id(H5Screate_simple(1, dims, nullptr), what, "cannot create dataspace"));
  H5Handle attribute(
      check_id(H5Acreate2(id(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, H5P_DEFAULT),
               what, "cannot create"));
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const std::string& value : values) pointers.push_back(value.c_str());
  if (!pointers.empty()) {
    check_status(H5Awrite(attribute.get(), type.get(), pointers.data()), what, "cannot write");
  }
  attribute.close(what);
}

void H5Object::write_numeric_attribute(const std::string& name, ElementType type, const void* data,
                                       std::size_t count, bool scalar) {
  const std::string what = where() + ": attribute '" + name + "'";
  if (has_attribute(name)) check_status(H5Adelete(id(), name.c_str()), what, "cannot replace");
  const hsize_t dims[1] = {count};
  H5Handle space(check_id(scalar ? H5Screate(H5S_SCALAR) : H5Screate_simple(1, dims, nullptr), what,
                          "cannot create dataspace"));
  const hid_t memory_type = native_type(type);
  H5Handle attribute(
      check_id(H5Acreate2(id(), name.c_str(), memory_type, space.get(), H5P_DEFAULT, H5P_DEFAULT),
               what, "cannot create"));
  if (count > 0) {
    check_status(H5Awrite(attribute.get(), memory_type, data), what, "cannot write");
  }
  attribute.close(what);
}

namespace {

// An open attribute with its type and dataspace; throws OutputError naming it when missing.
struct OpenAttribute {
  H5Handle attribute, type, space;
  std::size_t count = 0;
};

OpenAttribute open_attribute(hid_t object, const std::string& name, const std::string& what) {
  const htri_t exists = H5Aexists(object, name.c_str());
  check_status(exists, what, "cannot look up");
  if (exists == 0) throw OutputError(what + ": missing");
  OpenAttribute open;
  open.attribute =
      H5Handle(check_id(H5Aopen(object, name.c_str(), H5P_DEFAULT), what, "cannot open"));
  open.type = H5Handle(check_id(H5Aget_type(open.attribute.get()), what, "cannot read type"));
  open.space = H5Handle(check_id(H5Aget_space(open.attribute.get()), what, "cannot read extent"));
  open.count = space_size(open.space.get(), what);
  return open;
}

}  // namespace

ElementType H5Object::attribute_type(const std::string& name) const {
  const std::string what = where() + ": attribute '" + name + "'";
  const OpenAttribute open = open_attribute(id(), name, what);
  return classify(open.type.get(), what);
}

std::vector<std::string> H5Object::read_string_array_attribute(const std::string& name) const {
  const std::string what = where() + ": attribute '" + name + "'";
  const OpenAttribute open = open_attribute(id(), name, what);
  if (classify(open.type.get(), what) != ElementType::string) {
    throw OutputError(what + ": is not a string");
  }
  const hid_t attribute = open.attribute.get();
  return read_string_values(
      open.type.get(), open.space.get(), open.count,
      [attribute](hid_t memory_type, void* buffer) {
        return H5Aread(attribute, memory_type, buffer);
      },
      what);
}

std::string H5Object::read_string_attribute(const std::string& name) const {
  std::vector<std::string> values = read_string_array_attribute(name);
  require_one_value(name, values.size());
  return std::move(values.front());
}

std::size_t H5Object::numeric_attribute_size(const std::string& name) const {
  const std::string what = where() + ": attribute '" + name + "'";
  const OpenAttribute open = open_attribute(id(), name, what);
  if (classify(open.type.get(), what) == ElementType::string) {
    throw OutputError(what + ": is a string, expected a number");
  }
  return open.count;
}

void H5Object::read_numeric_attribute(const std::string& name, ElementType type, void* data) const {
  const std::string what = where() + ": attribute '" + name + "'";
  const OpenAttribute open = open_attribute(id(), name, what);
  if (open.count == 0) return;
  check_status(H5Aread(open.attribute.get(), native_type(type), data), what,
               std::string("cannot read as ") + element_type_name(type));
}

void H5Object::require_one_value(const std::string& name, std::size_t count) const {
  if (count != 1) {
    throw OutputError(where() + ": attribute '" + name + "': holds " + std::to_string(count) +
                      " values, expected 1");
  }
}

std::vector<std::uint64_t> H5Dataset::dims() const {
  H5Handle space(check_id(H5Dget_space(id()), where(), "cannot read the extent"));
  const int rank = H5Sget_simple_extent_ndims(space.get());
  if (rank < 0) fail("cannot read the rank");
  std::vector<hsize_t> extent(static_cast<std::size_t>(rank));
  check_status(H5Sget_simple_extent_dims(space.get(), extent.data(), nullptr), where(),
               "cannot read the extent");
  return {extent.begin(), extent.end()};
}

std::uint64_t H5Dataset::size() const {
  const std::vector<std::uint64_t> extent = dims();
  return product(extent);
}

ElementType H5Dataset::element_type() const {
  H5Handle type(check_id(H5Dget_type(id()), where(), "cannot read the type"));
  return classify(type.get(), where());
}

void H5Dataset::read_numeric(ElementType type, void* data) const {
  if (element_type() == ElementType::string) {
    fail(std::string("holds strings, expected ") + element_type_name(type));
  }
  if (size() == 0) return;
  check_status(H5Dread(id(), native_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, data), where(),
               std::string("cannot read as ") + element_type_name(type));
}

std::vector<std::string> H5Dataset::read_strings() const {
  H5Handle type(check_id(H5Dget_type(id()), where(), "cannot read the type"));
  if (classify(type.get(), where()) != ElementType::string) fail("does not hold strings");
  H5Handle space(check_id(H5Dget_space(id()), where(), "cannot read the extent"));
  const hid_t dataset = id();
  return read_string_values(
      type.get(), space.get(), space_size(space.get(), where()),
      [dataset](hid_t memory_type, void* buffer) {
        return H5Dread(dataset, memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, buffer);
      },
      where());
}

void H5Dataset::write_numeric(ElementType type, const void* data, std::size_t count) {
  const std::uint64_t expected = size();
  if (count != expected) {
    throw std::invalid_argument(where() + ": " + std::to_string(count) + " values for a shape of " +
                                std::to_string(expected));
  }
  if (count == 0) return;
  check_status(H5Dwrite(id(), native_type(type), H5S_ALL, H5S_ALL, H5P_DEFAULT, data), where(),
               "cannot write");
}

void H5Dataset::append_numeric(ElementType type, const void* data, std::size_t count) {
  if (count == 0) return;
  const std::vector<std::uint64_t> extent = dims();
  if (extent.size() != 1) throw std::invalid_argument(where() + ": append needs a 1-D dataset");
  const hsize_t start[1] = {extent[0]};
  const hsize_t added[1] = {count};
  const hsize_t grown[1] = {extent[0] + count};
  check_status(H5Dset_extent(id(), grown), where(), "cannot extend");
  H5Handle file_space(check_id(H5Dget_space(id()), where(), "cannot read the extent"));
  check_status(
      H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, added, nullptr),
      where(), "cannot select the appended rows");
  H5Handle memory_space(
      check_id(H5Screate_simple(1, added, nullptr), where(), "cannot create dataspace"));
  check_status(
      H5Dwrite(id(), native_type(type), memory_space.get(), file_space.get(), H5P_DEFAULT, data),
      where(), "cannot append");
}

void H5Dataset::write_chunk(std::span<const std::uint64_t> offset,
                            std::span<const unsigned char> bytes) {
  const std::vector<hsize_t> start(offset.begin(), offset.end());
  check_status(H5Dwrite_chunk(id(), H5P_DEFAULT, 0, start.data(), bytes.size(), bytes.data()),
               where(), "cannot write a chunk");
}

void H5Dataset::make_dimension_scale(const std::string& dimension) {
  check_status(H5DSset_scale(id(), dimension.c_str()), where(),
               "cannot make it the dimension scale '" + dimension + "'");
}

void H5Dataset::attach_dimension_scale(const H5Dataset& scale, unsigned axis) {
  check_status(
      H5DSattach_scale(id(), scale.id(), axis), where(),
      "cannot attach dimension scale '" + scale.name() + "' to axis " + std::to_string(axis));
}

void H5Dataset::close() { handle_.close(where()); }

namespace {

// Link and attribute creation order, tracked and indexed: what netCDF-4 files carry.
constexpr unsigned kCreationOrder = H5P_CRT_ORDER_TRACKED | H5P_CRT_ORDER_INDEXED;

H5Handle dataset_creation_list(std::span<const std::uint64_t> dims, const DatasetLayout& layout,
                               const std::string& what) {
  H5Handle dcpl(check_id(H5Pcreate(H5P_DATASET_CREATE), what, "cannot create property list"));
  check_status(H5Pset_attr_creation_order(dcpl.get(), kCreationOrder), what,
               "cannot set attribute creation order");
  // No modification times in object headers: the same results give byte-identical files.
  check_status(H5Pset_obj_track_times(dcpl.get(), false), what, "cannot turn off time tracking");
  bool has_empty_axis = false;
  for (const std::uint64_t d : dims) has_empty_axis = has_empty_axis || d == 0;
  if (layout.chunk.empty() && !has_empty_axis) {
    if (layout.gzip_level > 0 || layout.shuffle) {
      throw std::invalid_argument(what + ": compression needs a chunked layout");
    }
    return dcpl;
  }
  std::vector<hsize_t> chunk(dims.size());
  if (!layout.chunk.empty()) {
    if (layout.chunk.size() != dims.size()) {
      throw std::invalid_argument(what + ": chunk rank differs from dataset rank");
    }
    for (std::size_t i = 0; i < dims.size(); ++i) chunk[i] = layout.chunk[i];
  } else {
    for (std::size_t i = 0; i < dims.size(); ++i) chunk[i] = dims[i] == 0 ? 1 : dims[i];
  }
  for (const hsize_t c : chunk) {
    if (c == 0) throw std::invalid_argument(what + ": chunk sizes must be at least 1");
  }
  check_status(H5Pset_chunk(dcpl.get(), static_cast<int>(chunk.size()), chunk.data()), what,
               "cannot set the chunk shape");
  if (layout.shuffle) check_status(H5Pset_shuffle(dcpl.get()), what, "cannot enable shuffle");
  if (layout.gzip_level > 0) {
    check_status(H5Pset_deflate(dcpl.get(), static_cast<unsigned>(layout.gzip_level)), what,
                 "cannot enable gzip");
  }
  return dcpl;
}

H5Handle dataspace(std::span<const std::uint64_t> dims, const std::string& what,
                   bool extendible = false) {
  if (dims.empty()) throw std::invalid_argument(what + ": datasets need at least one axis");
  std::vector<hsize_t> extent(dims.begin(), dims.end());
  std::vector<hsize_t> max_extent(extent);
  if (extendible) max_extent.front() = H5S_UNLIMITED;
  // Empty axes may grow: HDF5 needs unlimited maximum extents for chunked empty datasets, and
  // netCDF then reports an unlimited dimension.
  for (hsize_t& m : max_extent) {
    if (m == 0) m = H5S_UNLIMITED;
  }
  return H5Handle(
      check_id(H5Screate_simple(static_cast<int>(extent.size()), extent.data(), max_extent.data()),
               what, "cannot create dataspace"));
}

constexpr std::uint64_t kMinimumMemoryIncrement = std::uint64_t{1} << 20;

// Writes `bytes` to `path` (created or truncated) and syncs it; removes it on failure.
void write_bytes(const std::filesystem::path& path, std::span<const char> bytes) {
  const std::string what = path.string();
  const int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666);
  if (fd < 0) throw OutputError(what + ": cannot create the file: " + std::strerror(errno));
  const auto fail_with = [&](const char* problem) {
    const int error = errno;
    ::close(fd);
    ::unlink(path.c_str());
    throw OutputError(what + ": " + problem + ": " + std::strerror(error));
  };
  std::size_t written = 0;
  while (written < bytes.size()) {
    const ssize_t n = ::write(fd, bytes.data() + written, bytes.size() - written);
    if (n < 0) {
      if (errno == EINTR) continue;
      fail_with("cannot write the file");
    }
    written += static_cast<std::size_t>(n);
  }
  if (::fsync(fd) != 0) fail_with("cannot sync the file to disk");
  if (::close(fd) != 0) {
    const int error = errno;
    ::unlink(path.c_str());
    throw OutputError(what + ": cannot close the file: " + std::strerror(error));
  }
}

/// File creation properties of every file natosim writes: objects and attributes in creation
/// order, no time stamps (so the same study gives the same bytes).
H5Handle creation_list(const std::string& what) {
  H5Handle fcpl(check_id(H5Pcreate(H5P_FILE_CREATE), what, "cannot create property list"));
  check_status(H5Pset_link_creation_order(fcpl.get(), kCreationOrder), what,
               "cannot set link creation order");
  check_status(H5Pset_attr_creation_order(fcpl.get(), kCreationOrder), what,
               "cannot set attribute creation order");
  check_status(H5Pset_obj_track_times(fcpl.get(), false), what, "cannot turn off time tracking");
  return fcpl;
}

}  // namespace

H5File H5File::create(const std::filesystem::path& path, std::uint64_t size_hint) {
  silence_hdf5_errors();
  const std::string what = path.string();
  H5Handle fcpl = creation_list(what);
  H5Handle fapl(check_id(H5Pcreate(H5P_FILE_ACCESS), what, "cannot create property list"));
  // HDF5 1.10 cannot recover from a write error: a file whose close failed (e.g. disk full)
  // stays registered and crashes the library's exit handler. So the file is assembled in memory
  // and close() writes the bytes itself, where errors are ordinary.
  const std::uint64_t increment = std::max<std::uint64_t>(size_hint, kMinimumMemoryIncrement);
  check_status(H5Pset_fapl_core(fapl.get(), static_cast<std::size_t>(increment), false), what,
               "cannot select the in-memory driver");
  // Closing fails while objects are still open instead of silently deferring the close.
  check_status(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI), what,
               "cannot set the close degree");
  H5Handle file(check_id(H5Fcreate(what.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), what,
                         "cannot create the file"));
  return H5File(path, std::move(file), true);
}

H5File H5File::create_on_disk(const std::filesystem::path& path) {
  silence_hdf5_errors();
  const std::string what = path.string();
  H5Handle fcpl = creation_list(what);
  auto disk = std::make_shared<DiskStatus>();
  H5Handle fapl = disk_access_list(disk, what);
  check_status(H5Pset_fclose_degree(fapl.get(), H5F_CLOSE_SEMI), what,
               "cannot set the close degree");
  H5Handle file(check_id(H5Fcreate(what.c_str(), H5F_ACC_TRUNC, fcpl.get(), fapl.get()), what,
                         "cannot create the file"));
  H5File created(path, std::move(file), std::move(disk));
  created.check_disk();
  return created;
}

void H5File::check_disk() const {
  if (disk_ && disk_->error != 0) {
    throw OutputError(file_.string() + ": cannot " + disk_->operation +
                      " the file: " + std::strerror(disk_->error));
  }
}

std::string H5File::library_version() {
  unsigned major_number = 0, minor_number = 0, release_number = 0;
  if (H5get_libversion(&major_number, &minor_number, &release_number) < 0) return H5_VERS_INFO;
  return std::to_string(major_number) + "." + std::to_string(minor_number) + "." +
         std::to_string(release_number);
}

bool H5File::is_hdf5(const std::filesystem::path& path) {
  silence_hdf5_errors();
  const htri_t result = H5Fis_hdf5(path.string().c_str());
  H5Eclear2(H5E_DEFAULT);
  return result > 0;
}

H5File H5File::open_read_only(const std::filesystem::path& path) {
  silence_hdf5_errors();
  const std::string what = path.string();
  std::error_code error;
  if (!std::filesystem::exists(path, error)) throw OutputError(what + ": no such file");
  if (!is_hdf5(path)) throw OutputError(what + ": not an HDF5 file");
  H5Handle file(
      check_id(H5Fopen(what.c_str(), H5F_ACC_RDONLY, H5P_DEFAULT), what, "cannot open the file"));
  return H5File(path, std::move(file), false);
}

H5Dataset H5File::create_dataset_raw(const std::string& name, std::span<const std::uint64_t> dims,
                                     ElementType type, const void* data, std::size_t count,
                                     const DatasetLayout& layout) {
  const std::string what = file_.string() + ":/" + name;
  if (data != nullptr && product(dims) != count) {
    throw std::invalid_argument(what + ": " + std::to_string(count) + " values for a shape of " +
                                std::to_string(product(dims)));
  }
  if (layout.extendible && layout.chunk.empty()) {
    throw std::invalid_argument(what + ": an extendible dataset needs a chunk shape");
  }
  H5Handle space = dataspace(dims, what, layout.extendible);
  H5Handle dcpl = dataset_creation_list(dims, layout, what);
  const hid_t memory_type = native_type(type);
  H5Handle dataset(check_id(H5Dcreate2(id(), name.c_str(), memory_type, space.get(), H5P_DEFAULT,
                                       dcpl.get(), H5P_DEFAULT),
                            what, "cannot create dataset"));
  if (data != nullptr && count > 0) {
    check_status(H5Dwrite(dataset.get(), memory_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, data), what,
                 "cannot write");
  }
  return H5Dataset(file_, name, std::move(dataset));
}

H5Dataset H5File::create_string_dataset(const std::string& name,
                                        std::span<const std::string> values) {
  const std::string what = file_.string() + ":/" + name;
  const std::uint64_t dims[1] = {values.size()};
  H5Handle space = dataspace(dims, what);
  H5Handle dcpl = dataset_creation_list(dims, {}, what);
  H5Handle type = make_string_type(what);
  H5Handle dataset(check_id(
      H5Dcreate2(id(), name.c_str(), type.get(), space.get(), H5P_DEFAULT, dcpl.get(), H5P_DEFAULT),
      what, "cannot create dataset"));
  std::vector<const char*> pointers;
  pointers.reserve(values.size());
  for (const std::string& value : values) pointers.push_back(value.c_str());
  if (!pointers.empty()) {
    check_status(
        H5Dwrite(dataset.get(), type.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, pointers.data()), what,
        "cannot write");
  }
  return H5Dataset(file_, name, std::move(dataset));
}

bool H5File::has_dataset(const std::string& name) const {
  const htri_t link = H5Lexists(id(), name.c_str(), H5P_DEFAULT);
  check_status(link, where(), "cannot look up '" + name + "'");
  if (link == 0) return false;
  H5Handle object(
      check_id(H5Oopen(id(), name.c_str(), H5P_DEFAULT), where(), "cannot open '" + name + "'"));
  return H5Iget_type(object.get()) == H5I_DATASET;
}

H5Dataset H5File::open_dataset(const std::string& name) const {
  const std::string what = file_.string() + ":/" + name;
  if (!has_dataset(name)) throw OutputError(what + ": missing dataset");
  H5Handle dataset(check_id(H5Dopen2(id(), name.c_str(), H5P_DEFAULT), what, "cannot open"));
  return H5Dataset(file_, name, std::move(dataset));
}

void H5File::close() {
  if (!handle_.valid() || !in_memory_) {
    if (handle_.valid()) check_disk();
    handle_.close(where());
    // Closing flushes, truncates and syncs: failures show only now.
    check_disk();
    return;
  }
  const ssize_t open_objects = H5Fget_obj_count(id(), H5F_OBJ_ALL);
  if (open_objects < 0) fail("cannot count open objects");
  if (open_objects > 1) {
    fail("cannot close: objects of the file are still open (" + std::to_string(open_objects - 1) +
         ")");
  }
  check_status(H5Fflush(id(), H5F_SCOPE_GLOBAL), where(), "cannot flush");
  const ssize_t size = H5Fget_file_image(id(), nullptr, 0);
  if (size < 0) fail("cannot size the file image");
  std::vector<char> image(static_cast<std::size_t>(size));
  if (H5Fget_file_image(id(), image.data(), image.size()) != size) {
    fail("cannot copy the file image");
  }
  handle_.close(where());
  write_bytes(file_, image);
}

}  // namespace sim::io
