#include "sim/mpi/world.h"

#include <algorithm>
#include <chrono>
#include <climits>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#ifdef NATOSIM_HAVE_MPI
#define OMPI_SKIP_MPICXX 1
#define MPICH_SKIP_MPICXX 1
#include <mpi.h>
#endif

namespace sim::mpi {

namespace {

constexpr int kSizeTag = 1;
constexpr int kReadyTag = 2;
constexpr int kItemTag = 3;

/// Waits until `ready()` holds, sleeping between polls (20 us, doubling to 2 ms): MPI's own
/// blocking calls spin, which would take a core from the rank's computing threads while it
/// waits for the next item.
template <class Ready>
void wait_politely(Ready ready) {
  auto pause = std::chrono::microseconds(20);
  while (!ready()) {
    std::this_thread::sleep_for(pause);
    pause = std::min(pause * 2, std::chrono::microseconds(2000));
  }
}

/// The number of ranks an MPI launcher started, from its environment; 1 without one.
int launched_ranks() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMIX_SIZE", "PMI_SIZE"}) {
    if (const char* value = std::getenv(name)) {
      const long ranks = std::strtol(value, nullptr, 10);
      if (ranks > 0 && ranks < INT_MAX) return static_cast<int>(ranks);
    }
  }
  return 1;
}

}  // namespace

bool built_with_mpi() {
#ifdef NATOSIM_HAVE_MPI
  return true;
#else
  return false;
#endif
}

#ifdef NATOSIM_HAVE_MPI

World::World(int* argc, char*** argv) {
  if (launched_ranks() <= 1) return;
  int provided = 0;
  if (MPI_Init_thread(argc, argv, MPI_THREAD_SERIALIZED, &provided) != MPI_SUCCESS) {
    throw std::runtime_error("MPI_Init_thread failed");
  }
  initialised_ = true;
  MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
  MPI_Comm_size(MPI_COMM_WORLD, &size_);
  if (provided < MPI_THREAD_SERIALIZED) {
    throw std::runtime_error(
        "the MPI library does not allow calls from worker threads "
        "(MPI_THREAD_SERIALIZED)");
  }
}

World::~World() {
  if (initialised_) MPI_Finalize();
}

void World::finish(int exit_status) {
  // Rank 0 may fail alone (its output exists) while the others wait in a collective call; any
  // rank may fail alone during the run. Either way the others would wait for ever: end the job.
  // A rank > 0 failing before the run shares rank 0's problem and leaves it to rank 0.
  if (initialised_ && exit_status != 0 && (rank_ == 0 || abort_on_failure_)) {
    // Give the launcher a moment to pass on this rank's message before its own about the abort.
    std::fflush(stderr);
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    MPI_Abort(MPI_COMM_WORLD, exit_status);
  }
}

// An item goes in three messages: its size (small, sent at once), the receiver's go-ahead once it
// is ready to take it, then the bytes. Each side thus waits politely (sleeping) while the other
// is busy, and spins inside MPI only for the transfer itself, which a large message (sent in
// many fragments, each needing both sides' progress) would otherwise stretch out.
void World::send(int to, std::span<const unsigned char> bytes) const {
  if (bytes.size() > static_cast<std::size_t>(INT_MAX)) {
    throw std::runtime_error("an MPI message above 2 GiB (use smaller blocks)");
  }
  auto size = static_cast<std::uint64_t>(bytes.size());
  if (MPI_Send(&size, 1, MPI_UINT64_T, to, kSizeTag, MPI_COMM_WORLD) != MPI_SUCCESS) {
    throw std::runtime_error("MPI_Send failed");
  }
  wait_politely([&] {
    int found = 0;
    MPI_Iprobe(to, kReadyTag, MPI_COMM_WORLD, &found, MPI_STATUS_IGNORE);
    return found != 0;
  });
  char token = 0;
  MPI_Recv(&token, 1, MPI_CHAR, to, kReadyTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  if (MPI_Send(bytes.data(), static_cast<int>(bytes.size()), MPI_UNSIGNED_CHAR, to, kItemTag,
               MPI_COMM_WORLD) != MPI_SUCCESS) {
    throw std::runtime_error("MPI_Send failed");
  }
}

std::vector<unsigned char> World::receive(int from) const {
  wait_politely([&] {
    int found = 0;
    MPI_Iprobe(from, kSizeTag, MPI_COMM_WORLD, &found, MPI_STATUS_IGNORE);
    return found != 0;
  });
  std::uint64_t size = 0;
  MPI_Recv(&size, 1, MPI_UINT64_T, from, kSizeTag, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
  char token = 1;
  MPI_Send(&token, 1, MPI_CHAR, from, kReadyTag, MPI_COMM_WORLD);
  std::vector<unsigned char> bytes(static_cast<std::size_t>(size));
  if (MPI_Recv(bytes.data(), static_cast<int>(size), MPI_UNSIGNED_CHAR, from, kItemTag,
               MPI_COMM_WORLD, MPI_STATUS_IGNORE) != MPI_SUCCESS) {
    throw std::runtime_error("MPI_Recv failed");
  }
  return bytes;
}

void World::allgather(std::vector<double>& values, std::span<const std::int64_t> offsets) const {
  if (!initialised_) return;
  std::vector<int> counts(static_cast<std::size_t>(size_));
  std::vector<int> displacements(static_cast<std::size_t>(size_));
  for (std::size_t r = 0; r < counts.size(); ++r) {
    if (offsets[r + 1] - offsets[r] > INT_MAX || offsets[r] > INT_MAX) {
      throw std::runtime_error("an MPI gather above 2^31 values (use fewer points per batch)");
    }
    counts[r] = static_cast<int>(offsets[r + 1] - offsets[r]);
    displacements[r] = static_cast<int>(offsets[r]);
  }
  if (MPI_Allgatherv(MPI_IN_PLACE, 0, MPI_DATATYPE_NULL, values.data(), counts.data(),
                     displacements.data(), MPI_DOUBLE, MPI_COMM_WORLD) != MPI_SUCCESS) {
    throw std::runtime_error("MPI_Allgatherv failed");
  }
}

std::int64_t World::broadcast(std::int64_t value) const {
  if (!initialised_) return value;
  MPI_Bcast(&value, 1, MPI_INT64_T, 0, MPI_COMM_WORLD);
  return value;
}

#else

World::World(int* /*argc*/, char*** /*argv*/) {
  if (launched_ranks() > 1) {
    throw std::runtime_error(
        "started with several MPI ranks, but this natosim was built without MPI (install "
        "libopenmpi-dev and rebuild; CMake option NATOSIM_MPI)");
  }
}

World::~World() = default;

void World::finish(int /*exit_status*/) {}

void World::send(int /*to*/, std::span<const unsigned char> /*bytes*/) const {
  throw std::logic_error("MPI send without MPI");
}

std::vector<unsigned char> World::receive(int /*from*/) const {
  throw std::logic_error("MPI receive without MPI");
}

void World::allgather(std::vector<double>& /*values*/,
                      std::span<const std::int64_t> /*offsets*/) const {}

std::int64_t World::broadcast(std::int64_t value) const { return value; }

#endif

}  // namespace sim::mpi
