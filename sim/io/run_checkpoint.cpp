#include "sim/io/run_checkpoint.h"

#include <fcntl.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cerrno>
#include <cstring>
#include <fstream>
#include <iterator>
#include <span>
#include <stdexcept>
#include <system_error>

#include <fmt/format.h>

#include "sim/config/study.h"
#include "sim/core/bytes.h"
#include "sim/core/error.h"

namespace sim::io {
namespace {

namespace fs = std::filesystem;

constexpr char kMagic[] = "natosim-run-checkpoint 1\n";

std::uint32_t checksum(std::span<const unsigned char> bytes) {
  return static_cast<std::uint32_t>(crc32(0L, bytes.data(), static_cast<uInt>(bytes.size())));
}

std::string error_text() { return std::strerror(errno); }

void write_all(int fd, std::span<const unsigned char> bytes, const fs::path& file) {
  std::size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t written = ::write(fd, bytes.data() + done, bytes.size() - done);
    if (written < 0) {
      if (errno == EINTR) continue;
      throw OutputError(file.string() + ": cannot write the checkpoint: " + error_text());
    }
    done += static_cast<std::size_t>(written);
  }
}

void sync_folder(const fs::path& folder) {
  const int fd = ::open(folder.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd >= 0) {
    ::fsync(fd);
    ::close(fd);
  }
}

std::vector<unsigned char> read_whole(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  if (!in) throw OutputError(file.string() + ": cannot read the checkpoint: " + error_text());
  return std::vector<unsigned char>(std::istreambuf_iterator<char>(in), {});
}

void encode_block(const ResultsBlock& block, ByteWriter& out) {
  out.put<std::uint64_t>(block.scenario);
  out.put<std::int64_t>(block.first_replicate);
  out.put<std::int64_t>(block.replicates);
  out.put<std::uint64_t>(block.trajectories.size());
  out.put<std::uint64_t>(block.encoded.size());
  for (const std::vector<unsigned char>& chunk : block.encoded) {
    out.put_span(std::span<const unsigned char>(chunk));
  }
  out.put<std::uint64_t>(block.events.size());
  for (const std::vector<double>& column : block.events) {
    out.put_span(std::span<const double>(column));
  }
}

ResultsBlock decode_block(ByteReader& in) {
  ResultsBlock block;
  block.scenario = static_cast<std::size_t>(in.get<std::uint64_t>());
  block.first_replicate = in.get<std::int64_t>();
  block.replicates = in.get<std::int64_t>();
  // The writer takes trajectories from `encoded`; the raw values are not kept, only how many
  // variables there were.
  const auto variables = in.get<std::uint64_t>();
  const auto encoded = in.get<std::uint64_t>();
  if (variables > 1'000'000 || encoded > 1'000'000) throw std::runtime_error("implausible block");
  block.trajectories.resize(static_cast<std::size_t>(variables));
  for (std::uint64_t v = 0; v < encoded; ++v)
    block.encoded.push_back(in.get_vector<unsigned char>());
  const auto columns = in.get<std::uint64_t>();
  if (columns > 1'000'000) throw std::runtime_error("implausible block");
  for (std::uint64_t c = 0; c < columns; ++c) block.events.push_back(in.get_vector<double>());
  return block;
}

}  // namespace

fs::path checkpoint_path(const fs::path& out) { return fs::path(out.string() + ".checkpoint"); }

std::string executable_sha256() {
  std::ifstream in("/proc/self/exe", std::ios::binary);
  if (!in) return "unknown";
  // Piece by piece: the executable (megabytes) read whole cost 2,500 page faults a run.
  Sha256 hash;
  std::array<char, std::size_t{64} * 1024> piece{};
  while (in.read(piece.data(), piece.size()) || in.gcount() > 0) {
    hash.update(piece.data(), static_cast<std::size_t>(in.gcount()));
  }
  return hash.hex();
}

CheckpointingSink::CheckpointingSink(ResultsSink& inner, fs::path folder)
    : inner_(inner), folder_(std::move(folder)) {}

CheckpointingSink::CheckpointingSink(ResultsSink& inner, fs::path folder, RunIdentity identity)
    : inner_(inner), folder_(std::move(folder)), identity_(std::move(identity)) {
  std::error_code error;
  fs::remove_all(folder_, error);
  fs::create_directory(folder_, error);
  if (error) {
    throw OutputError(folder_.string() +
                      ": cannot create the checkpoint folder: " + error.message());
  }
  const fs::path blocks = folder_ / "blocks";
  blocks_fd_ = ::open(blocks.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (blocks_fd_ < 0) fail(blocks, "cannot create");
  sync_folder(folder_);
  sync_folder(folder_.parent_path().empty() ? fs::path(".") : folder_.parent_path());
}

CheckpointingSink CheckpointingSink::resume(ResultsSink& inner, fs::path folder,
                                            const RunIdentity& identity) {
  CheckpointingSink sink(inner, std::move(folder));
  sink.identity_ = identity;
  const fs::path state = sink.folder_ / "state";
  const fs::path blocks = sink.folder_ / "blocks";
  std::error_code error;
  if (!fs::is_directory(sink.folder_, error) || !fs::exists(blocks, error)) {
    throw OutputError(sink.folder_.string() + ": no checkpoint to resume from");
  }
  if (fs::exists(state, error)) {
    const std::vector<unsigned char> bytes = read_whole(state);
    const std::size_t magic = sizeof kMagic - 1;
    if (bytes.size() < magic + 4 || std::memcmp(bytes.data(), kMagic, magic) != 0) {
      throw OutputError(state.string() + ": not a natosim run checkpoint");
    }
    std::uint32_t stored = 0;
    std::memcpy(&stored, bytes.data() + bytes.size() - 4, 4);
    const std::span<const unsigned char> body(bytes.data() + magic, bytes.size() - magic - 4);
    if (checksum(body) != stored) {
      throw OutputError(state.string() + ": damaged checkpoint (checksum mismatch)");
    }
    try {
      ByteReader in(body);
      RunIdentity saved_identity;
      const auto pairs = in.get<std::uint64_t>();
      for (std::uint64_t i = 0; i < pairs && i < 10'000; ++i) {
        std::string key = in.get_string();
        saved_identity.emplace_back(std::move(key), in.get_string());
      }
      for (const auto& [key, value] : identity) {
        std::string before = "(none)";
        for (const auto& [saved_key, saved_value] : saved_identity) {
          if (saved_key == key) before = saved_value;
        }
        if (before != value) {
          const bool long_values = before.size() > 24 || value.size() > 24;
          std::string message = sink.folder_.string() + ": written for another " + key;
          if (!long_values) message += fmt::format(" (checkpoint {}, now {})", before, value);
          message +=
              "; resume with the same config, options and binary, or run without --resume and "
              "with --force to start over";
          throw OutputError(message);
        }
      }
      RunCheckpoint checkpoint;
      checkpoint.blocks = in.get<std::int64_t>();
      sink.saved_bytes_ = in.get<std::uint64_t>();
      checkpoint.tally = in.get_vector<unsigned char>();
      if (!in.at_end()) throw std::runtime_error("bytes left over");
      sink.saved_ = std::move(checkpoint);
    } catch (const std::runtime_error& damage) {
      if (dynamic_cast<const OutputError*>(&damage) != nullptr) throw;
      throw OutputError(state.string() + ": damaged checkpoint (" + damage.what() + ")");
    }
  }
  const auto size = fs::file_size(blocks, error);
  if (error || size < sink.saved_bytes_) {
    throw OutputError(blocks.string() + ": damaged checkpoint (shorter than its state says)");
  }
  // Blocks written after the last saved state are dropped: the run computes them again.
  sink.blocks_fd_ = ::open(blocks.c_str(), O_RDWR | O_CLOEXEC);
  if (sink.blocks_fd_ < 0) sink.fail(blocks, "cannot open");
  if (::ftruncate(sink.blocks_fd_, static_cast<off_t>(sink.saved_bytes_)) != 0) {
    sink.fail(blocks, "cannot truncate");
  }
  if (::lseek(sink.blocks_fd_, static_cast<off_t>(sink.saved_bytes_), SEEK_SET) < 0) {
    sink.fail(blocks, "cannot seek in");
  }
  sink.blocks_bytes_ = sink.saved_bytes_;
  return sink;
}

CheckpointingSink::CheckpointingSink(CheckpointingSink&& other) noexcept
    : inner_(other.inner_),
      folder_(std::move(other.folder_)),
      identity_(std::move(other.identity_)),
      blocks_fd_(std::exchange(other.blocks_fd_, -1)),
      blocks_bytes_(other.blocks_bytes_),
      saved_bytes_(other.saved_bytes_),
      saved_(std::move(other.saved_)),
      replayed_(other.replayed_) {}

CheckpointingSink::~CheckpointingSink() {
  if (blocks_fd_ >= 0) ::close(blocks_fd_);
}

void CheckpointingSink::fail(const fs::path& file, const std::string& what) const {
  throw OutputError(file.string() + ": " + what + " the checkpoint file: " + error_text());
}

void CheckpointingSink::begin(const Results& layout, std::int64_t block_size) {
  inner_.begin(layout, block_size);
  if (saved_bytes_ == 0) return;
  // Replay the saved blocks, record by record: [length][payload][crc32 of payload].
  const fs::path blocks = folder_ / "blocks";
  std::ifstream in(blocks, std::ios::binary);
  std::uint64_t position = 0;
  std::vector<unsigned char> payload;
  while (position < saved_bytes_) {
    std::uint64_t length = 0;
    std::uint32_t stored = 0;
    in.read(reinterpret_cast<char*>(&length), sizeof length);
    if (!in || length > saved_bytes_ - position) {
      throw OutputError(blocks.string() + ": damaged checkpoint (a truncated block)");
    }
    payload.resize(static_cast<std::size_t>(length));
    in.read(reinterpret_cast<char*>(payload.data()), static_cast<std::streamsize>(length));
    in.read(reinterpret_cast<char*>(&stored), sizeof stored);
    if (!in || checksum(payload) != stored) {
      throw OutputError(blocks.string() + ": damaged checkpoint (a block fails its checksum)");
    }
    position += sizeof length + length + sizeof stored;
    ResultsBlock block;
    try {
      ByteReader reader(payload);
      block = decode_block(reader);
    } catch (const std::runtime_error& damage) {
      throw OutputError(blocks.string() + ": damaged checkpoint (" + damage.what() + ")");
    }
    inner_.add_block(block);
    ++replayed_;
  }
}

void CheckpointingSink::add_block(const ResultsBlock& block) {
  ByteWriter record;
  record.put<std::uint64_t>(0);  // the payload's length, filled in below
  encode_block(block, record);
  std::vector<unsigned char>& bytes = record.bytes();
  const std::uint64_t length = bytes.size() - sizeof(std::uint64_t);
  std::memcpy(bytes.data(), &length, sizeof length);
  const std::uint32_t crc =
      checksum(std::span<const unsigned char>(bytes.data() + sizeof length, length));
  record.put(crc);
  write_all(blocks_fd_, bytes, folder_ / "blocks");
  blocks_bytes_ += bytes.size();
  inner_.add_block(block);
}

void CheckpointingSink::save(const RunCheckpoint& state) {
  const fs::path blocks = folder_ / "blocks";
  if (::fsync(blocks_fd_) != 0) fail(blocks, "cannot sync");
  ByteWriter body;
  body.put<std::uint64_t>(identity_.size());
  for (const auto& [key, value] : identity_) {
    body.put_string(key);
    body.put_string(value);
  }
  body.put<std::int64_t>(state.blocks);
  body.put<std::uint64_t>(blocks_bytes_);
  body.put_span(std::span<const unsigned char>(state.tally));
  const std::uint32_t crc = checksum(body.bytes());

  const fs::path temporary = folder_ / "state.tmp";
  const int fd = ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) fail(temporary, "cannot create");
  try {
    write_all(fd,
              std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(kMagic),
                                             sizeof kMagic - 1),
              temporary);
    write_all(fd, body.bytes(), temporary);
    write_all(
        fd,
        std::span<const unsigned char>(reinterpret_cast<const unsigned char*>(&crc), sizeof crc),
        temporary);
    if (::fsync(fd) != 0) fail(temporary, "cannot sync");
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  std::error_code error;
  fs::rename(temporary, folder_ / "state", error);
  if (error) {
    throw OutputError((folder_ / "state").string() +
                      ": cannot rename the new checkpoint onto it: " + error.message());
  }
  sync_folder(folder_);
  saved_bytes_ = blocks_bytes_;
}

void CheckpointingSink::discard() {
  if (blocks_fd_ >= 0) ::close(blocks_fd_);
  blocks_fd_ = -1;
  std::error_code error;
  fs::remove_all(folder_, error);
}

}  // namespace sim::io
