#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <span>
#include <string>
#include <vector>

#include "sim/engine/results.h"
#include "sim/io/run_checkpoint.h"

namespace sim::io {

/// The kind of file a shard writes (docs/OUTPUT.md, "Shards and merge"), as the output-path
/// policy names it. A part is natosim's own binary format, not HDF5: only `natosim merge` of the
/// same binary reads it.
inline constexpr const char* kShardPartFileType = "natosim_shard_part";

/// Whether `file` starts like a shard part.
bool is_shard_part(const std::filesystem::path& file);

/// What a part says about itself: the study it belongs to and its slice of the blocks.
struct ShardHeader {
  RunIdentity identity;
  std::int64_t shard = 0;
  std::int64_t shards = 1;
  /// Blocks [first_block, end_block) of `blocks`, each of `block_size` replicates.
  std::int64_t first_block = 0;
  std::int64_t end_block = 0;
  std::int64_t blocks = 0;
  std::int64_t block_size = 64;
  int compression = 1;
  /// The results file's layout with every annotation (provenance, labels, draws), no values.
  Results layout;
};

/// The blocks shard `shard` of `shards` runs out of `blocks`: [shard * blocks / shards,
/// (shard + 1) * blocks / shards).
std::pair<std::int64_t, std::int64_t> shard_blocks(std::int64_t shard, std::int64_t shards,
                                                   std::int64_t blocks);

/// Writes a part to partial_path(out) and renames it onto `out` at commit(); destroyed without
/// commit() it removes the partial file. Each item is compressed (zlib) with a CRC-32; the end
/// marker with the item count comes last, so a truncated part is recognised. Errors:
/// OutputError naming the file.
class ShardPartWriter {
 public:
  ShardPartWriter(std::filesystem::path out, bool force, const ShardHeader& header);
  ShardPartWriter(const ShardPartWriter&) = delete;
  ShardPartWriter& operator=(const ShardPartWriter&) = delete;
  ~ShardPartWriter();

  void add_item(std::int64_t item, std::span<const unsigned char> bytes);
  /// Writes the end marker, syncs, checks the path again and renames.
  void commit();

 private:
  void write(std::span<const unsigned char> bytes);

  std::filesystem::path out_;
  std::filesystem::path partial_;
  bool force_ = false;
  int compression_ = 1;
  std::FILE* file_ = nullptr;
  std::int64_t items_ = 0;
  bool committed_ = false;
};

/// Reads a part: the header at construction (with the end marker checked, so a truncated part is
/// refused before any work), then its items in order. Errors: OutputError naming the file
/// ("not a natosim shard part", "truncated", "damaged (checksum)", ...).
class ShardPartReader {
 public:
  explicit ShardPartReader(std::filesystem::path file);
  ShardPartReader(ShardPartReader&& other) noexcept;
  ShardPartReader& operator=(ShardPartReader&&) = delete;
  ShardPartReader(const ShardPartReader&) = delete;
  ShardPartReader& operator=(const ShardPartReader&) = delete;
  ~ShardPartReader();

  const ShardHeader& header() const { return header_; }
  const std::filesystem::path& path() const { return file_path_; }
  /// Items in the part (from its end marker).
  std::int64_t items() const { return items_; }
  /// The next item's bytes; throws OutputError unless it is item `expected`.
  std::vector<unsigned char> next_item(std::int64_t expected);

 private:
  [[noreturn]] void damaged(const std::string& what) const;

  std::filesystem::path file_path_;
  std::FILE* file_ = nullptr;
  ShardHeader header_;
  std::int64_t items_ = 0;
  std::int64_t read_ = 0;
};

/// One paragraph describing a part (natosim info).
std::string describe_shard_part(const std::filesystem::path& file);

}  // namespace sim::io
