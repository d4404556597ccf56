#include <catch2/catch.hpp>

#include <unistd.h>
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <span>
#include <string>
#include <type_traits>
#include <vector>

#include "sim/core/error.h"
#include "sim/io/chunk_codec.h"
#include "sim/io/h5_file.h"

namespace fs = std::filesystem;
using sim::OutputError;
using sim::io::ElementType;
using sim::io::H5Dataset;
using sim::io::H5File;
using sim::io::H5Handle;

namespace {

// A fresh folder under the system temp dir, removed with everything in it at scope exit.
class TempDir {
 public:
  TempDir() {
    static int counter = 0;
    path_ = fs::temp_directory_path() /
            ("natosim_h5_test_" + std::to_string(::getpid()) + "_" + std::to_string(counter++));
    fs::remove_all(path_);
    fs::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ignored;
    fs::remove_all(path_, ignored);
  }
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

}  // namespace

static_assert(!std::is_copy_constructible_v<H5Handle> &&
              std::is_nothrow_move_constructible_v<H5Handle>);
static_assert(!std::is_copy_constructible_v<H5File> &&
              std::is_nothrow_move_constructible_v<H5File>);
static_assert(!std::is_copy_constructible_v<H5Dataset> &&
              std::is_nothrow_move_constructible_v<H5Dataset>);
static_assert(std::is_nothrow_destructible_v<H5File> && std::is_nothrow_destructible_v<H5Dataset>);

TEST_CASE("Datasets of every mapped type read back with their shape and values", "[unit][io]") {
  TempDir dir;
  const fs::path path = dir.path() / "types.h5";
  const std::vector<std::uint64_t> dims = {2, 3};
  const std::vector<double> f64 = {1.5, -2.25, 3e300, 0.0, -0.0, 1e-300};
  const std::vector<float> f32 = {1.5F, -2.25F, 3e30F, 0.0F, 7.0F, 1e-30F};
  const std::vector<std::int32_t> i32 = {-2147483647 - 1, -1, 0, 1, 2, 2147483647};
  const std::vector<std::int64_t> i64 = {INT64_MIN, -1, 0, 1, 2, INT64_MAX};
  const std::vector<std::uint64_t> u64 = {0, 1, 2, 3, UINT64_MAX - 1, UINT64_MAX};
  const std::vector<std::string> strings = {"", "plain", "Türkiye", "with \"quotes\"\nand lines"};
  {
    H5File file = H5File::create(path);
    file.create_dataset<double>("f64", dims, f64).close();
    file.create_dataset<float>("f32", dims, f32).close();
    file.create_dataset<std::int32_t>("i32", dims, i32).close();
    file.create_dataset<std::int64_t>("i64", dims, i64).close();
    file.create_dataset<std::uint64_t>("u64", dims, u64).close();
    file.create_string_dataset("strings", strings).close();
    file.close();
  }
  const H5File file = H5File::open_read_only(path);
  CHECK(file.open_dataset("f64").dims() == dims);
  CHECK(file.open_dataset("f64").element_type() == ElementType::float64);
  CHECK(file.open_dataset("f64").read<double>() == f64);
  CHECK(file.open_dataset("f32").element_type() == ElementType::float32);
  CHECK(file.open_dataset("f32").read<float>() == f32);
  CHECK(file.open_dataset("i32").element_type() == ElementType::int32);
  CHECK(file.open_dataset("i32").read<std::int32_t>() == i32);
  CHECK(file.open_dataset("i64").element_type() == ElementType::int64);
  CHECK(file.open_dataset("i64").read<std::int64_t>() == i64);
  CHECK(file.open_dataset("u64").element_type() == ElementType::uint64);
  CHECK(file.open_dataset("u64").read<std::uint64_t>() == u64);
  CHECK(file.open_dataset("strings").element_type() == ElementType::string);
  CHECK(file.open_dataset("strings").read_strings() == strings);
  CHECK(file.open_dataset("i32").read<double>() ==
        std::vector<double>{-2147483648.0, -1.0, 0.0, 1.0, 2.0, 2147483647.0});
}

TEST_CASE("Attributes of every mapped type read back unchanged", "[unit][io]") {
  TempDir dir;
  const fs::path path = dir.path() / "attributes.h5";
  const std::vector<std::string> labels = {"a", "b c", ""};
  const std::vector<std::int32_t> flags = {0, 1, 2};
  {
    H5File file = H5File::create(path);
    file.write_string_attribute("text", "multi\nline \"text\"");
    file.write_string_attribute("empty", "");
    file.write_string_array_attribute("labels", labels);
    file.write_attribute<std::uint64_t>("seed", UINT64_MAX);
    file.write_attribute<std::int64_t>("replicates", -5);
    file.write_attribute<double>("ratio", 0.1);
    file.write_string_attribute("text", "replaced");
    const std::uint64_t dims[1] = {3};
    H5Dataset dataset = file.create_dataset<std::int32_t>("values", dims, flags);
    dataset.write_array_attribute<std::int32_t>("flag_values", flags);
    dataset.close();
    file.close();
  }
  const H5File file = H5File::open_read_only(path);
  // Creation order; a replaced attribute counts as created last.
  CHECK(file.attribute_names() ==
        std::vector<std::string>{"empty", "labels", "seed", "replicates", "ratio", "text"});
  CHECK(file.read_string_attribute("text") == "replaced");
  CHECK(file.read_string_attribute("empty").empty());
  CHECK(file.read_string_array_attribute("labels") == labels);
  CHECK(file.read_attribute<std::uint64_t>("seed") == UINT64_MAX);
  CHECK(file.attribute_type("seed") == ElementType::uint64);
  CHECK(file.read_attribute<std::int64_t>("replicates") == -5);
  CHECK(file.read_attribute<double>("ratio") == 0.1);
  CHECK_FALSE(file.has_attribute("missing"));
  CHECK(file.open_dataset("values").read_array_attribute<std::int32_t>("flag_values") == flags);
}

TEST_CASE("Zero-length datasets are created chunked and read back empty", "[unit][io]") {
  TempDir dir;
  const fs::path path = dir.path() / "empty.h5";
  {
    H5File file = H5File::create(path);
    const std::uint64_t dims[2] = {3, 0};
    file.create_dataset<double>("empty", dims, std::vector<double>{}).close();
    file.create_string_dataset("no_strings", std::vector<std::string>{}).close();
    file.close();
  }
  const H5File file = H5File::open_read_only(path);
  CHECK(file.open_dataset("empty").dims() == std::vector<std::uint64_t>{3, 0});
  CHECK(file.open_dataset("empty").read<double>().empty());
  CHECK(file.open_dataset("no_strings").read_strings().empty());
}

TEST_CASE("Failures name the file and the object", "[unit][io]") {
  TempDir dir;
  const fs::path path = dir.path() / "errors.h5";
  {
    H5File file = H5File::create(path);
    const std::uint64_t dims[1] = {2};
    file.create_dataset<double>("numbers", dims, std::vector<double>{1, 2}).close();
    CHECK_THROWS_WITH(file.create_dataset<double>("numbers", dims, std::vector<double>{1, 2}),
                      Catch::StartsWith(path.string() + ":/numbers: cannot create dataset"));
    CHECK_THROWS_AS(file.create_dataset<double>("short", dims, std::vector<double>{1}),
                    std::invalid_argument);
    file.close();
  }
  const H5File file = H5File::open_read_only(path);
  CHECK_THROWS_MATCHES(file.open_dataset("numbers").read_strings(), OutputError,
                       Catch::Message(path.string() + ":/numbers: does not hold strings"));
  CHECK_THROWS_MATCHES(file.open_dataset("nothing"), OutputError,
                       Catch::Message(path.string() + ":/nothing: missing dataset"));
  CHECK_THROWS_MATCHES(file.read_string_attribute("nothing"), OutputError,
                       Catch::Message(path.string() + ": attribute 'nothing': missing"));
  CHECK_THROWS_MATCHES(H5File::open_read_only(dir.path() / "absent.h5"), OutputError,
                       Catch::Message((dir.path() / "absent.h5").string() + ": no such file"));
  std::ofstream(dir.path() / "text.h5") << "not hdf5\n";
  CHECK_FALSE(H5File::is_hdf5(dir.path() / "text.h5"));
  CHECK_THROWS_MATCHES(H5File::open_read_only(dir.path() / "text.h5"), OutputError,
                       Catch::Message((dir.path() / "text.h5").string() + ": not an HDF5 file"));
}

TEST_CASE("The HDF5 library version is reported as MAJOR.MINOR.RELEASE", "[unit][io]") {
  const std::string version = H5File::library_version();
  CHECK(version.rfind("1.", 0) == 0);
  CHECK(std::count(version.begin(), version.end(), '.') == 2);
}

TEST_CASE("Closing a file while a dataset is open reports an error and cleans up later",
          "[unit][io]") {
  TempDir dir;
  const fs::path path = dir.path() / "open.h5";
  H5File file = H5File::create(path);
  const std::uint64_t dims[1] = {1};
  H5Dataset dataset = file.create_dataset<double>("x", dims, std::vector<double>{1});
  CHECK_THROWS_WITH(file.close(), Catch::StartsWith(path.string() + ": cannot close"));
  dataset.close();
  CHECK_NOTHROW(file.close());
  CHECK(H5File::is_hdf5(path));
}

TEST_CASE("Chunks compressed off the HDF5 thread read back as the values at every level",
          "[unit][io]") {
  TempDir dir;
  // Two chunks of 4 x 3 values along the first axis; the second is an edge chunk (1 row).
  std::vector<double> values(5 * 3);
  for (std::size_t i = 0; i < values.size(); ++i) values[i] = 1.0 / (1.0 + double(i)) - 0.25;
  const std::vector<std::uint64_t> dims = {5, 3};
  for (const int level : {0, 1, 6, 9}) {
    INFO("gzip level " << level);
    const fs::path path = dir.path() / ("chunks" + std::to_string(level) + ".h5");
    {
      H5File file = H5File::create_on_disk(path);
      sim::io::DatasetLayout layout;
      layout.chunk = {4, 3};
      layout.gzip_level = level;
      layout.shuffle = level > 0;
      H5Dataset dataset = file.create_empty_dataset<double>("x", dims, layout);
      std::vector<unsigned char> bytes;
      for (std::uint64_t row = 0; row < 5; row += 4) {
        const std::size_t rows = std::min<std::uint64_t>(4, 5 - row);
        sim::io::encode_chunk(std::span<const double>(values.data() + row * 3, rows * 3), 4 * 3,
                              level, bytes);
        const std::uint64_t offset[2] = {row, 0};
        dataset.write_chunk(offset, bytes);
      }
      dataset.close();
      file.close();
    }
    const H5File file = H5File::open_read_only(path);
    CHECK(file.open_dataset("x").read<double>() == values);
  }
}

TEST_CASE("A write the disk refuses is reported by check_disk and close and the file still closes",
          "[unit][io]") {
  TempDir dir;
  const fs::path path = dir.path() / "full.h5";
  ::setenv("NATOSIM_TEST_DISK_BYTES", "4096", 1);
  {
    H5File file = H5File::create_on_disk(path);
    ::unsetenv("NATOSIM_TEST_DISK_BYTES");
    const std::vector<double> big(100000, 1.0);
    const std::uint64_t dims[1] = {big.size()};
    // HDF5 is told the writes went well (it cannot close a file after a failed write); the
    // failure surfaces here instead.
    file.create_dataset<double>("big", dims, big).close();
    CHECK_THROWS_WITH(file.check_disk(),
                      path.string() + ": cannot write the file: No space left on device");
    CHECK_THROWS_AS(file.close(), OutputError);
  }
  ::unsetenv("NATOSIM_TEST_DISK_BYTES");
  // The process goes on: another file is written and read normally.
  const fs::path next = dir.path() / "next.h5";
  {
    H5File file = H5File::create_on_disk(next);
    const std::vector<double> small = {1.0, 2.0};
    const std::uint64_t dims[1] = {2};
    file.create_dataset<double>("small", dims, small).close();
    file.close();
  }
  CHECK(H5File::open_read_only(next).open_dataset("small").read<double>() ==
        std::vector<double>{1.0, 2.0});
}
