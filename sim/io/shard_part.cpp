#include "sim/io/shard_part.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <cerrno>
#include <cstring>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "sim/core/bytes.h"
#include "sim/core/error.h"
#include "sim/io/output_path.h"

namespace sim::io {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[] = "natosim-shard-part 1\n";
constexpr std::size_t kMagicSize = sizeof kMagic - 1;
constexpr std::uint64_t kEndMarker = ~std::uint64_t{0};
/// The end record: marker, item count, CRC-32 of the count.
constexpr long kEndSize = 8 + 8 + 4;

std::uint32_t checksum(std::span<const unsigned char> bytes) {
  return static_cast<std::uint32_t>(crc32(0L, bytes.data(), static_cast<uInt>(bytes.size())));
}

void put_strings(ByteWriter& out, const std::vector<std::string>& values) {
  out.put<std::uint64_t>(values.size());
  for (const std::string& value : values) out.put_string(value);
}

std::vector<std::string> get_strings(ByteReader& in) {
  const auto count = in.get<std::uint64_t>();
  if (count > 100'000'000) throw std::runtime_error("implausible count");
  std::vector<std::string> values;
  for (std::uint64_t i = 0; i < count; ++i) values.push_back(in.get_string());
  return values;
}

void save_layout(const Results& r, ByteWriter& out) {
  put_strings(out, r.scenarios);
  put_strings(out, r.scenario_descriptions);
  put_strings(out, r.scenario_labels);
  put_strings(out, r.scenario_groups);
  out.put_string(r.scenario_dimension);
  out.put<std::uint64_t>(r.design_parameters.size());
  for (const Results::DesignParameter& parameter : r.design_parameters) {
    out.put_string(parameter.key);
    out.put_span(std::span<const double>(parameter.values));
  }
  out.put_span(std::span<const int>(r.years));
  put_strings(out, r.members);
  put_strings(out, r.member_names);
  out.put_span(std::span<const double>(r.quantile_levels));
  out.put(r.replicates);
  out.put(r.seed);
  out.put<std::uint64_t>(r.variables.size());
  for (const VariableSpec& variable : r.variables) {
    out.put_string(variable.name);
    out.put_string(variable.units);
    out.put_string(variable.long_name);
    out.put<std::int32_t>(variable.level == Level::member ? 0 : 1);
    out.put<std::int32_t>(variable.binary ? 1 : 0);
    out.put<std::int32_t>(variable.may_be_missing ? 1 : 0);
  }
  out.put<std::int32_t>(r.reference_scenario);
  out.put<std::int32_t>(r.has_trajectories ? 1 : 0);
  out.put<std::uint64_t>(r.draws.size());
  for (const Results::ParameterDraws& draws : r.draws) {
    out.put_string(draws.key);
    out.put_string(draws.distribution);
    out.put<std::int32_t>(draws.per_scenario ? 1 : 0);
    out.put_span(std::span<const double>(draws.values));
  }
  out.put<std::uint64_t>(r.event_columns.size());
  for (const EventColumnSpec& column : r.event_columns) {
    out.put_string(column.name);
    out.put_string(column.units);
    out.put_string(column.long_name);
    put_strings(out, column.categories);
  }
  out.put<std::uint64_t>(r.attributes.size());
  for (const auto& [key, value] : r.attributes) {
    out.put_string(key);
    out.put_string(value);
  }
  out.put_string(r.member_axis);
  out.put_string(r.member_axis_long_name);
  out.put_string(r.time_axis);
  out.put_string(r.time_axis_long_name);
}

Results load_layout(ByteReader& in) {
  Results r;
  r.scenarios = get_strings(in);
  r.scenario_descriptions = get_strings(in);
  r.scenario_labels = get_strings(in);
  r.scenario_groups = get_strings(in);
  r.scenario_dimension = in.get_string();
  const auto parameters = in.get<std::uint64_t>();
  if (parameters > 100'000) throw std::runtime_error("implausible count");
  for (std::uint64_t i = 0; i < parameters; ++i) {
    Results::DesignParameter parameter;
    parameter.key = in.get_string();
    parameter.values = in.get_vector<double>();
    r.design_parameters.push_back(std::move(parameter));
  }
  r.years = in.get_vector<int>();
  r.members = get_strings(in);
  r.member_names = get_strings(in);
  r.quantile_levels = in.get_vector<double>();
  r.replicates = in.get<std::int64_t>();
  r.seed = in.get<std::uint64_t>();
  const auto variables = in.get<std::uint64_t>();
  if (variables > 100'000) throw std::runtime_error("implausible count");
  for (std::uint64_t i = 0; i < variables; ++i) {
    VariableSpec variable;
    variable.name = in.get_string();
    variable.units = in.get_string();
    variable.long_name = in.get_string();
    variable.level = in.get<std::int32_t>() == 0 ? Level::member : Level::global;
    variable.binary = in.get<std::int32_t>() != 0;
    variable.may_be_missing = in.get<std::int32_t>() != 0;
    r.variables.push_back(std::move(variable));
  }
  r.reference_scenario = in.get<std::int32_t>();
  r.has_trajectories = in.get<std::int32_t>() != 0;
  const auto draws = in.get<std::uint64_t>();
  if (draws > 100'000) throw std::runtime_error("implausible count");
  for (std::uint64_t i = 0; i < draws; ++i) {
    Results::ParameterDraws draw;
    draw.key = in.get_string();
    draw.distribution = in.get_string();
    draw.per_scenario = in.get<std::int32_t>() != 0;
    draw.values = in.get_vector<double>();
    r.draws.push_back(std::move(draw));
  }
  const auto columns = in.get<std::uint64_t>();
  if (columns > 100'000) throw std::runtime_error("implausible count");
  for (std::uint64_t i = 0; i < columns; ++i) {
    EventColumnSpec column;
    column.name = in.get_string();
    column.units = in.get_string();
    column.long_name = in.get_string();
    column.categories = get_strings(in);
    r.event_columns.push_back(std::move(column));
  }
  const auto attributes = in.get<std::uint64_t>();
  if (attributes > 100'000) throw std::runtime_error("implausible count");
  for (std::uint64_t i = 0; i < attributes; ++i) {
    std::string key = in.get_string();
    r.attributes[key] = in.get_string();
  }
  r.member_axis = in.get_string();
  r.member_axis_long_name = in.get_string();
  r.time_axis = in.get_string();
  r.time_axis_long_name = in.get_string();
  return r;
}

std::vector<unsigned char> encode_header(const ShardHeader& header) {
  ByteWriter out;
  out.put<std::uint64_t>(header.identity.size());
  for (const auto& [key, value] : header.identity) {
    out.put_string(key);
    out.put_string(value);
  }
  out.put(header.shard);
  out.put(header.shards);
  out.put(header.first_block);
  out.put(header.end_block);
  out.put(header.blocks);
  out.put(header.block_size);
  out.put<std::int32_t>(header.compression);
  save_layout(header.layout, out);
  return std::move(out.bytes());
}

ShardHeader decode_header(std::span<const unsigned char> bytes) {
  ByteReader in(bytes);
  ShardHeader header;
  const auto pairs = in.get<std::uint64_t>();
  if (pairs > 10'000) throw std::runtime_error("implausible count");
  for (std::uint64_t i = 0; i < pairs; ++i) {
    std::string key = in.get_string();
    header.identity.emplace_back(std::move(key), in.get_string());
  }
  header.shard = in.get<std::int64_t>();
  header.shards = in.get<std::int64_t>();
  header.first_block = in.get<std::int64_t>();
  header.end_block = in.get<std::int64_t>();
  header.blocks = in.get<std::int64_t>();
  header.block_size = in.get<std::int64_t>();
  header.compression = in.get<std::int32_t>();
  header.layout = load_layout(in);
  if (!in.at_end()) throw std::runtime_error("bytes left over in the header");
  const auto expected = shard_blocks(header.shard, header.shards, header.blocks);
  if (header.shards < 1 || header.shard < 0 || header.shard >= header.shards ||
      header.first_block != expected.first || header.end_block != expected.second ||
      header.block_size < 1) {
    throw std::runtime_error("inconsistent shard header");
  }
  return header;
}

}  // namespace

std::pair<std::int64_t, std::int64_t> shard_blocks(std::int64_t shard, std::int64_t shards,
                                                   std::int64_t blocks) {
  return {shard * blocks / shards, (shard + 1) * blocks / shards};
}

bool is_shard_part(const fs::path& file) {
  std::FILE* f = std::fopen(file.c_str(), "rb");
  if (f == nullptr) return false;
  char start[kMagicSize] = {};
  const bool match = std::fread(start, 1, kMagicSize, f) == kMagicSize &&
                     std::memcmp(start, kMagic, kMagicSize) == 0;
  std::fclose(f);
  return match;
}

ShardPartWriter::ShardPartWriter(fs::path out, bool force, const ShardHeader& header)
    : out_(std::move(out)),
      partial_(partial_path(out_)),
      force_(force),
      compression_(header.compression) {
  check_output_path(out_, force_, kShardPartFileType);
  file_ = std::fopen(partial_.c_str(), "wb");
  if (file_ == nullptr) {
    throw OutputError(partial_.string() + ": cannot create the file: " + std::strerror(errno));
  }
  write(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(kMagic), kMagicSize));
  const std::vector<unsigned char> bytes = encode_header(header);
  const std::uint64_t length = bytes.size();
  const std::uint32_t crc = checksum(bytes);
  write(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(&length), 8));
  write(bytes);
  write(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(&crc), 4));
}

ShardPartWriter::~ShardPartWriter() {
  if (file_ != nullptr) std::fclose(file_);
  if (!committed_) {
    std::error_code error;
    fs::remove(partial_, error);
  }
}

void ShardPartWriter::write(std::span<const unsigned char> bytes) {
  if (std::fwrite(bytes.data(), 1, bytes.size(), file_) != bytes.size()) {
    throw OutputError(partial_.string() + ": cannot write the file: " + std::strerror(errno));
  }
}

void ShardPartWriter::add_item(std::int64_t item, std::span<const unsigned char> bytes) {
  uLongf packed_size = compressBound(static_cast<uLong>(bytes.size()));
  std::vector<unsigned char> packed(packed_size);
  if (compress2(packed.data(), &packed_size, bytes.data(), static_cast<uLong>(bytes.size()),
                compression_) != Z_OK) {
    throw OutputError(partial_.string() + ": cannot compress an item");
  }
  const std::uint64_t sizes[2] = {bytes.size(), packed_size};
  const std::uint32_t crc = checksum(bytes);
  write(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(sizes), 16));
  write(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(&item), 8));
  write(std::span<const unsigned char>(packed.data(), packed_size));
  write(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(&crc), 4));
  ++items_;
}

void ShardPartWriter::commit() {
  const std::uint32_t crc =
      checksum(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(&items_), 8));
  write(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(&kEndMarker), 8));
  write(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(&items_), 8));
  write(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(&crc), 4));
  if (std::fflush(file_) != 0 || ::fsync(::fileno(file_)) != 0) {
    throw OutputError(partial_.string() + ": cannot write the file: " + std::strerror(errno));
  }
  std::fclose(file_);
  file_ = nullptr;
  check_output_path(out_, force_, kShardPartFileType);
  std::error_code error;
  fs::rename(partial_, out_, error);
  if (error) {
    throw OutputError(out_.string() + ": cannot rename " + partial_.string() +
                      " onto it: " + error.message());
  }
  committed_ = true;
}

ShardPartReader::ShardPartReader(fs::path file) : file_path_(std::move(file)) {
  file_ = std::fopen(file_path_.c_str(), "rb");
  if (file_ == nullptr) {
    throw OutputError(file_path_.string() + ": cannot open the file: " + std::strerror(errno));
  }
  char start[kMagicSize] = {};
  if (std::fread(start, 1, kMagicSize, file_) != kMagicSize ||
      std::memcmp(start, kMagic, kMagicSize) != 0) {
    throw OutputError(file_path_.string() + ": not a natosim shard part (natosim run --shard)");
  }
  std::uint64_t length = 0;
  if (std::fread(&length, 8, 1, file_) != 1 || length > (std::uint64_t{1} << 32)) {
    damaged("truncated header");
  }
  std::vector<unsigned char> bytes(static_cast<std::size_t>(length));
  std::uint32_t crc = 0;
  if (std::fread(bytes.data(), 1, bytes.size(), file_) != bytes.size() ||
      std::fread(&crc, 4, 1, file_) != 1) {
    damaged("truncated header");
  }
  if (checksum(bytes) != crc) damaged("damaged header (checksum mismatch)");
  try {
    header_ = decode_header(bytes);
  } catch (const std::runtime_error& error) {
    damaged(std::string("damaged header (") + error.what() + ")");
  }
  const long items_start = std::ftell(file_);
  // The end record: a part without it was not finished (its shard was killed or is running).
  std::uint64_t marker = 0;
  std::uint32_t end_crc = 0;
  if (std::fseek(file_, -kEndSize, SEEK_END) != 0 || std::ftell(file_) < items_start ||
      std::fread(&marker, 8, 1, file_) != 1 || std::fread(&items_, 8, 1, file_) != 1 ||
      std::fread(&end_crc, 4, 1, file_) != 1 || marker != kEndMarker ||
      checksum(std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(&items_),
                                              8)) != end_crc) {
    damaged("truncated: no end record (was its shard killed, or is it still running?)");
  }
  std::fseek(file_, items_start, SEEK_SET);
}

ShardPartReader::ShardPartReader(ShardPartReader&& other) noexcept
    : file_path_(std::move(other.file_path_)),
      file_(std::exchange(other.file_, nullptr)),
      header_(std::move(other.header_)),
      items_(other.items_),
      read_(other.read_) {}

ShardPartReader::~ShardPartReader() {
  if (file_ != nullptr) std::fclose(file_);
}

void ShardPartReader::damaged(const std::string& what) const {
  throw OutputError(file_path_.string() + ": " + what);
}

std::vector<unsigned char> ShardPartReader::next_item(std::int64_t expected) {
  if (read_ >= items_) damaged(fmt::format("has no item {} (it holds {})", expected, items_));
  std::uint64_t sizes[2] = {0, 0};
  std::int64_t item = -1;
  if (std::fread(sizes, 8, 2, file_) != 2 || std::fread(&item, 8, 1, file_) != 1 ||
      sizes[0] > (std::uint64_t{1} << 40) || sizes[1] > (std::uint64_t{1} << 40)) {
    damaged("truncated item");
  }
  if (item != expected) damaged(fmt::format("holds item {} where item {} belongs", item, expected));
  std::vector<unsigned char> packed(static_cast<std::size_t>(sizes[1]));
  std::uint32_t crc = 0;
  if (std::fread(packed.data(), 1, packed.size(), file_) != packed.size() ||
      std::fread(&crc, 4, 1, file_) != 1) {
    damaged("truncated item");
  }
  std::vector<unsigned char> bytes(static_cast<std::size_t>(sizes[0]));
  uLongf size = static_cast<uLongf>(bytes.size());
  if (uncompress(bytes.data(), &size, packed.data(), static_cast<uLong>(packed.size())) != Z_OK ||
      size != bytes.size() || checksum(bytes) != crc) {
    damaged(fmt::format("damaged item {} (checksum mismatch)", expected));
  }
  ++read_;
  return bytes;
}

std::string describe_shard_part(const fs::path& file) {
  const ShardPartReader part(file);
  const ShardHeader& h = part.header();
  const auto name = h.layout.attributes.find("study_name");
  return fmt::format(
      "{}: natosim shard part {} of {} (numbered from 0) of study '{}': blocks {}-{} of {} "
      "({} replicates each), {} items; merge all {} parts with `natosim merge PARTS -o OUT.h5`\n",
      file.string(), h.shard, h.shards,
      name != h.layout.attributes.end() ? name->second : std::string("?"), h.first_block,
      h.end_block - 1, h.blocks, h.block_size, part.items(), h.shards);
}

}  // namespace sim::io
