#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <vector>

namespace sim::mpi {

/// The MPI ranks this process belongs to. A process started by an MPI launcher (mpirun, or srun
/// with PMI/PMIx) with more than one rank initialises MPI here (MPI_THREAD_SERIALIZED); any other
/// process is rank 0 of 1 and never touches MPI, so the binary runs without mpirun. One per
/// process, for the lifetime of the command (MPI_Finalize in the destructor, or MPI_Abort when
/// abort_on_exit() was called and the command failed).
class World {
 public:
  /// Throws std::runtime_error when launched with several ranks by a binary built without MPI
  /// (NATOSIM_MPI=OFF): each rank would otherwise run the whole study.
  World(int* argc, char*** argv);
  World(const World&) = delete;
  World& operator=(const World&) = delete;
  ~World();

  int rank() const { return rank_; }
  int size() const { return size_; }
  bool distributed() const { return size_ > 1; }

  /// Sends `bytes` to rank `to` (blocking: returns when the buffer may be reused).
  void send(int to, std::span<const unsigned char> bytes) const;
  /// Receives the next message from rank `from` (messages from one rank arrive in send order).
  std::vector<unsigned char> receive(int from) const;
  /// Every rank contributes values[offsets[rank], offsets[rank + 1]) and receives everyone's:
  /// `values` ends up the same on every rank. `offsets` has size() + 1 entries.
  void allgather(std::vector<double>& values, std::span<const std::int64_t> offsets) const;
  /// Rank 0's `value` on every rank.
  std::int64_t broadcast(std::int64_t value) const;
  /// From now on a failing command ends every rank (MPI_Abort) rather than leave the others
  /// waiting for messages that will not come. `done()` lifts it.
  void abort_on_failure() { abort_on_failure_ = true; }
  void done() { abort_on_failure_ = false; }
  /// Between abort_on_failure() and done(): a distributed run is under way.
  bool in_run() const { return abort_on_failure_; }
  /// Called with the command's exit status before the destructor: aborts the whole job when a
  /// distributed run failed midway.
  void finish(int exit_status);

 private:
  int rank_ = 0;
  int size_ = 1;
  bool initialised_ = false;
  bool abort_on_failure_ = false;
};

/// Whether this binary was built with MPI (CMake option NATOSIM_MPI).
bool built_with_mpi();

}  // namespace sim::mpi
