#include "sim/io/h5_handle.h"

#include <hdf5.h>

#include <algorithm>
#include <functional>
#include <stdexcept>
#include <type_traits>

#include "sim/core/error.h"
#include "sim/io/h5_detail.h"

namespace sim::io {

static_assert(std::is_same_v<H5Id, hid_t>, "H5Id must be hid_t");
static_assert(sizeof(std::uint64_t) == sizeof(hsize_t), "hsize_t must be 64 bits");

namespace {

herr_t innermost_error(unsigned n, const H5E_error2_t* error, void* client) {
  if (n == 0 && error != nullptr && error->desc != nullptr) {
    *static_cast<std::string*>(client) = error->desc;
  }
  return 0;
}

}  // namespace

namespace detail {

void silence_hdf5_errors() { H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr); }

std::string hdf5_detail() {
  std::string detail;
  H5Ewalk2(H5E_DEFAULT, H5E_WALK_UPWARD, innermost_error, &detail);
  H5Eclear2(H5E_DEFAULT);
  return detail;
}

[[noreturn]] void throw_output_error(const std::string& where, const std::string& problem) {
  const std::string detail = hdf5_detail();
  throw OutputError(where + ": " + problem + (detail.empty() ? "" : " (HDF5: " + detail + ")"));
}

hid_t check_id(hid_t id, const std::string& where, const std::string& problem) {
  if (id < 0) throw_output_error(where, problem);
  return id;
}

void check_status(herr_t status, const std::string& where, const std::string& problem) {
  if (status < 0) throw_output_error(where, problem);
}

hid_t native_type(ElementType type) {
  switch (type) {
    case ElementType::float64:
      return H5T_NATIVE_DOUBLE;
    case ElementType::float32:
      return H5T_NATIVE_FLOAT;
    case ElementType::int32:
      return H5T_NATIVE_INT32;
    case ElementType::int64:
      return H5T_NATIVE_INT64;
    case ElementType::uint64:
      return H5T_NATIVE_UINT64;
    case ElementType::string:
      break;
  }
  throw std::logic_error("native_type: strings have no native numeric type");
}

H5Handle make_string_type(const std::string& where) {
  H5Handle type(check_id(H5Tcopy(H5T_C_S1), where, "cannot create a string type"));
  check_status(H5Tset_size(type.get(), H5T_VARIABLE), where, "cannot create a string type");
  check_status(H5Tset_cset(type.get(), H5T_CSET_UTF8), where, "cannot create a string type");
  return type;
}

ElementType classify(hid_t type, const std::string& where) {
  const H5T_class_t type_class = H5Tget_class(type);
  const std::size_t size = H5Tget_size(type);
  if (type_class == H5T_STRING) return ElementType::string;
  if (type_class == H5T_FLOAT && size == 8) return ElementType::float64;
  if (type_class == H5T_FLOAT && size == 4) return ElementType::float32;
  if (type_class == H5T_INTEGER) {
    const H5T_sign_t sign = H5Tget_sign(type);
    if (sign == H5T_SGN_2 && size == 4) return ElementType::int32;
    if (sign == H5T_SGN_2 && size == 8) return ElementType::int64;
    if (sign == H5T_SGN_NONE && size == 8) return ElementType::uint64;
  }
  throw_output_error(where,
                     "unsupported element type (expected float64, float32, int32, int64, "
                     "uint64 or string)");
}

std::uint64_t product(std::span<const std::uint64_t> dims) {
  std::uint64_t total = 1;
  for (const std::uint64_t d : dims) total *= d;
  return total;
}

std::vector<std::string> read_string_values(hid_t file_type, hid_t space, std::size_t count,
                                            const std::function<herr_t(hid_t, void*)>& read,
                                            const std::string& where) {
  std::vector<std::string> values;
  if (count == 0) return values;
  const htri_t variable = H5Tis_variable_str(file_type);
  check_status(variable, where, "cannot inspect the string type");
  if (variable > 0) {
    H5Handle memory_type = make_string_type(where);
    check_status(H5Tset_cset(memory_type.get(), H5Tget_cset(file_type)), where,
                 "cannot create a string type");
    std::vector<char*> pointers(count, nullptr);
    check_status(read(memory_type.get(), pointers.data()), where, "cannot read strings");
    values.reserve(count);
    for (const char* p : pointers) values.emplace_back(p == nullptr ? "" : p);
    H5Dvlen_reclaim(memory_type.get(), space, H5P_DEFAULT, pointers.data());
    return values;
  }
  const std::size_t width = H5Tget_size(file_type);
  H5Handle memory_type(check_id(H5Tcopy(file_type), where, "cannot copy the string type"));
  std::vector<char> buffer(width * count);
  check_status(read(memory_type.get(), buffer.data()), where, "cannot read strings");
  const bool space_padded = H5Tget_strpad(file_type) == H5T_STR_SPACEPAD;
  for (std::size_t i = 0; i < count; ++i) {
    std::string value(buffer.data() + i * width, width);
    const std::size_t end =
        space_padded ? value.find_last_not_of(' ') + 1 : std::min(value.find('\0'), width);
    value.resize(end);
    values.push_back(std::move(value));
  }
  return values;
}

std::size_t space_size(hid_t space, const std::string& where) {
  const hssize_t points = H5Sget_simple_extent_npoints(space);
  if (points < 0) throw_output_error(where, "cannot read the extent");
  return static_cast<std::size_t>(points);
}

}  // namespace detail

const char* element_type_name(ElementType type) {
  switch (type) {
    case ElementType::float64:
      return "float64";
    case ElementType::float32:
      return "float32";
    case ElementType::int32:
      return "int32";
    case ElementType::int64:
      return "int64";
    case ElementType::uint64:
      return "uint64";
    case ElementType::string:
      return "string";
  }
  return "unknown";
}

namespace {

herr_t close_id(hid_t id) {
  switch (H5Iget_type(id)) {
    case H5I_FILE:
      return H5Fclose(id);
    case H5I_GROUP:
      return H5Gclose(id);
    case H5I_DATATYPE:
      return H5Tclose(id);
    case H5I_DATASPACE:
      return H5Sclose(id);
    case H5I_DATASET:
      return H5Dclose(id);
    case H5I_ATTR:
      return H5Aclose(id);
    case H5I_GENPROP_LST:
      return H5Pclose(id);
    case H5I_BADID:
      return 0;  // already released by HDF5 (e.g. after a failed file close)
    default:
      return H5Idec_ref(id) < 0 ? -1 : 0;
  }
}

}  // namespace

H5Handle::H5Handle(H5Handle&& other) noexcept : id_(other.id_) { other.id_ = -1; }

H5Handle& H5Handle::operator=(H5Handle&& other) noexcept {
  if (this != &other) {
    if (valid()) close_id(id_);
    id_ = other.id_;
    other.id_ = -1;
  }
  return *this;
}

H5Handle::~H5Handle() {
  if (valid()) {
    close_id(id_);
    H5Eclear2(H5E_DEFAULT);
  }
}

void H5Handle::close(const std::string& what) {
  if (!valid()) return;
  // On failure the id stays, so the destructor tries once more (silently).
  detail::check_status(close_id(id_), what, "cannot close");
  id_ = -1;
}

}  // namespace sim::io
