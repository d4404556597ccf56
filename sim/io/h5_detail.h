#pragma once

// HDF5 helpers shared by the handle and object layers of sim/io; never included outside sim/io.

#include <hdf5.h>

#include <cstdint>
#include <functional>
#include <span>
#include <string>
#include <vector>

#include "sim/io/h5_handle.h"

namespace sim::io::detail {

/// Turns HDF5's automatic error printing off for the calling thread (HDF5 keeps its error
/// settings per thread in thread-safe builds, so every entry point calls this).
void silence_hdf5_errors();
/// The most specific message on HDF5's error stack (then cleared), or "" when it is empty.
std::string hdf5_detail();
/// Throws OutputError "WHERE: PROBLEM (HDF5: detail)".
[[noreturn]] void throw_output_error(const std::string& where, const std::string& problem);
/// `id`, or throw_output_error when it is negative.
hid_t check_id(hid_t id, const std::string& where, const std::string& problem);
/// throw_output_error when `status` is negative.
void check_status(herr_t status, const std::string& where, const std::string& problem);
/// The native HDF5 type of a numeric element type; std::logic_error for strings.
hid_t native_type(ElementType type);
/// A variable-length UTF-8 string type.
H5Handle make_string_type(const std::string& where);
/// The element type of a stored HDF5 type; OutputError for types outside the map.
ElementType classify(hid_t type, const std::string& where);
/// Product of the extents (1 for none).
std::uint64_t product(std::span<const std::uint64_t> dims);
/// Reads `count` strings of file type `file_type` through `read` (an H5Aread or H5Dread bound to
/// its object); handles variable-length and fixed-length strings.
std::vector<std::string> read_string_values(hid_t file_type, hid_t space, std::size_t count,
                                            const std::function<herr_t(hid_t, void*)>& read,
                                            const std::string& where);
/// Number of elements of a dataspace.
std::size_t space_size(hid_t space, const std::string& where);

}  // namespace sim::io::detail
