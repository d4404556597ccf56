#pragma once

#include <span>
#include <vector>

namespace sim::io {

/// Encodes one chunk of float64 values in the form HDF5's filter pipeline stores for a dataset
/// with `gzip_level` > 0 (byte shuffle, then one zlib deflate stream: H5Pset_shuffle +
/// H5Pset_deflate; at level 1 made with zlib's run-length strategy, faster), or as raw bytes for
/// level 0 (no filters). `values` may be shorter than the
/// chunk (`chunk_values`): an edge chunk, padded with zeros that no reader sees. The result goes
/// to `out` (resized; its capacity is reused). Thread-safe; never calls HDF5, so worker threads
/// can compress while one thread writes (H5Dataset::write_chunk). Throws std::runtime_error if
/// zlib fails.
void encode_chunk(std::span<const double> values, std::size_t chunk_values, int gzip_level,
                  std::vector<unsigned char>& out);

}  // namespace sim::io
