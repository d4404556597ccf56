#include <catch2/catch.hpp>

#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <vector>

#include "sim/core/error.h"
#include "sim/io/shard_part.h"
#include "tests/sim/io/sample_results.h"

namespace fs = std::filesystem;

namespace {

fs::path scratch(const std::string& name) {
  const fs::path folder =
      fs::temp_directory_path() / ("natosim_shard_" + std::to_string(::getpid()));
  fs::create_directories(folder);
  return folder / name;
}

sim::io::ShardHeader sample_header(std::int64_t shard, std::int64_t shards) {
  sim::io::ShardHeader header;
  header.identity = {{"seed", "7"}, {"binary", "abc"}};
  header.shard = shard;
  header.shards = shards;
  header.blocks = 10;
  header.block_size = 64;
  std::tie(header.first_block, header.end_block) = sim::io::shard_blocks(shard, shards, 10);
  header.layout = sim::io::testing::make_sample_results();
  return header;
}

}  // namespace

TEST_CASE("Shard slices cover every block exactly once, in order", "[unit][io]") {
  for (std::int64_t blocks : {1, 7, 40, 1563}) {
    for (std::int64_t shards = 1; shards <= blocks && shards <= 64; ++shards) {
      std::int64_t next = 0;
      for (std::int64_t shard = 0; shard < shards; ++shard) {
        const auto [first, end] = sim::io::shard_blocks(shard, shards, blocks);
        CHECK(first == next);
        CHECK(end > first);  // no empty shard while shards <= blocks
        next = end;
      }
      CHECK(next == blocks);
    }
  }
}

TEST_CASE("A shard part reads back its header and items, and refuses damage", "[unit][io]") {
  const fs::path path = scratch("part.bin");
  fs::remove(path);
  sim::io::ShardHeader header = sample_header(1, 3);
  // Axes the model names itself, carried at the end of the layout.
  header.layout.member_axis = "ally";
  header.layout.member_axis_long_name = "ally code";
  header.layout.time_axis = "quarter";
  header.layout.time_axis_long_name = "quarter index";
  const std::vector<unsigned char> first(1000, 7);
  std::vector<unsigned char> second;
  for (int i = 0; i < 5000; ++i) second.push_back(static_cast<unsigned char>(i * 31));
  {
    sim::io::ShardPartWriter writer(path, false, header);
    writer.add_item(9, first);
    writer.add_item(10, second);
    writer.commit();
  }
  CHECK(sim::io::is_shard_part(path));
  {
    sim::io::ShardPartReader reader(path);
    CHECK(reader.items() == 2);
    CHECK(reader.header().identity == header.identity);
    CHECK(reader.header().first_block == 3);
    CHECK(reader.header().end_block == 6);
    CHECK(reader.header().layout.scenarios == header.layout.scenarios);
    CHECK(reader.header().layout.attributes == header.layout.attributes);
    CHECK(reader.header().layout.variables.size() == header.layout.variables.size());
    CHECK(reader.header().layout.member_axis == "ally");
    CHECK(reader.header().layout.member_axis_long_name == "ally code");
    CHECK(reader.header().layout.time_axis == "quarter");
    CHECK(reader.header().layout.time_axis_long_name == "quarter index");
    CHECK(reader.next_item(9) == first);
    CHECK_THROWS_WITH(reader.next_item(12), Catch::Contains("holds item 10 where item 12"));
  }
  // Another process's partial file, a part cut short, a flipped byte: each refused by name.
  std::vector<char> bytes;
  {
    std::ifstream in(path, std::ios::binary);
    bytes.assign(std::istreambuf_iterator<char>(in), {});
  }
  const fs::path cut = scratch("cut.bin");
  std::ofstream(cut, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size() - 30));
  CHECK_THROWS_WITH(sim::io::ShardPartReader(cut), Catch::Contains("cut.bin: truncated"));
  const fs::path flipped = scratch("flipped.bin");
  bytes[bytes.size() - 100] = static_cast<char>(bytes[bytes.size() - 100] ^ 0x55);
  std::ofstream(flipped, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  sim::io::ShardPartReader reader(flipped);
  CHECK(reader.next_item(9) == first);
  CHECK_THROWS_WITH(reader.next_item(10), Catch::Contains("damaged item 10"));
  // The writer never overwrites without force, and leaves no partial file behind.
  CHECK_THROWS_AS(sim::io::ShardPartWriter(path, false, header), sim::OutputError);
  fs::remove_all(path.parent_path());
}
