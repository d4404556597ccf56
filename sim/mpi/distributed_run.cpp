#include "sim/mpi/distributed_run.h"

#include <atomic>
#include <condition_variable>
#include <deque>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <thread>

#include "sim/core/error.h"

namespace sim::mpi {

namespace {

/// A rank's own items, from its producing thread to its MPI thread (which folds them on rank 0,
/// sends them on the others); bounded, so that the producer cannot run far ahead (memory stays
/// flat in replicates).
class ItemQueue {
 public:
  explicit ItemQueue(std::size_t capacity) : capacity_(capacity) {}

  /// Returns false when the queue was closed (the fold stopped) instead of pushing.
  bool push(std::vector<unsigned char>&& bytes) {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return closed_ || items_.size() < capacity_; });
    if (closed_) return false;
    items_.push_back(std::move(bytes));
    changed_.notify_all();
    return true;
  }
  /// Waits for the next item; rethrows the producer's exception once its items are used up.
  std::vector<unsigned char> pop() {
    std::unique_lock lock(mutex_);
    changed_.wait(lock, [&] { return !items_.empty() || failure_ || finished_; });
    if (items_.empty()) {
      if (failure_) std::rethrow_exception(failure_);
      throw std::logic_error("run_study_distributed: rank 0 produced fewer items than it owns");
    }
    std::vector<unsigned char> bytes = std::move(items_.front());
    items_.pop_front();
    changed_.notify_all();
    return bytes;
  }
  void fail(std::exception_ptr failure) {
    std::lock_guard lock(mutex_);
    failure_ = std::move(failure);
    changed_.notify_all();
  }
  void finish() {
    std::lock_guard lock(mutex_);
    finished_ = true;
    changed_.notify_all();
  }
  void close() {
    std::lock_guard lock(mutex_);
    closed_ = true;
    changed_.notify_all();
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  std::deque<std::vector<unsigned char>> items_;
  std::size_t capacity_;
  std::exception_ptr failure_;
  bool finished_ = false;
  bool closed_ = false;
};

}  // namespace

int block_owner(std::int64_t block, int ranks) {
  if (ranks <= 1) return 0;
  // Rank 0 also folds every item (about a third of a block's cost at one thread), so it takes
  // one block in 2R - 1 and every other rank two.
  const std::int64_t cycle = 2 * static_cast<std::int64_t>(ranks) - 1;
  const std::int64_t position = block % cycle;
  return position == 0 ? 0 : static_cast<int>(1 + (position - 1) / 2);
}

void run_study_distributed(const World& world, const std::vector<ScenarioRun>& scenarios,
                           const RunOptions& options, ResultsSink* sink) {
  const std::int64_t blocks = study_blocks(options);
  if (world.rank() != 0 && sink != nullptr) {
    throw std::invalid_argument("run_study_distributed: only rank 0 writes");
  }
  if (world.rank() == 0 && sink == nullptr) {
    throw std::invalid_argument("run_study_distributed: rank 0 needs a sink");
  }

  std::vector<std::int64_t> owned;
  for (std::int64_t block = 0; block < blocks; ++block) {
    if (block_owner(block, world.size()) == world.rank()) owned.push_back(block);
  }
  // Every rank runs its blocks on a second thread, so that its MPI thread
  // (this one) can fold (rank 0) or send (the others) meanwhile; stopped early on failure.
  std::atomic<bool> stop_producing{false};
  RunOptions producing = options;
  producing.stop = &stop_producing;
  producing.progress = nullptr;
  const int threads = options.threads > 0 ? options.threads : 1;
  ItemQueue own(static_cast<std::size_t>(2 * threads + 2));
  std::thread producer([&] {
    try {
      produce_study_items(scenarios, producing, owned,
                          [&](std::int64_t, std::vector<unsigned char>&& bytes) {
                            if (!own.push(std::move(bytes))) stop_producing.store(true);
                          });
      own.finish();
    } catch (...) {
      own.fail(std::current_exception());
    }
  });
  struct Join {
    std::thread& thread;
    std::atomic<bool>& stop;
    ItemQueue& queue;
    ~Join() {
      stop.store(true);
      queue.close();
      thread.join();
    }
  } join{producer, stop_producing, own};

  if (world.rank() != 0) {
    const auto items = static_cast<std::int64_t>(owned.size() * scenarios.size());
    for (std::int64_t i = 0; i < items; ++i) {
      if (options.stop != nullptr && options.stop->load()) throw Interrupted();
      world.send(0, own.pop());
    }
    return;
  }

  const ModelSchema& schema = scenarios.front().model->schema();
  std::vector<std::string> names;
  std::vector<std::string> descriptions;
  for (const ScenarioRun& scenario : scenarios) {
    names.push_back(scenario.name);
    descriptions.push_back(scenario.description);
  }
  const auto scenario_count = static_cast<std::int64_t>(scenarios.size());
  fold_study_items(
      schema, names, descriptions, options,
      [&](std::int64_t item) {
        const int owner = block_owner(item / scenario_count, world.size());
        return owner == 0 ? own.pop() : world.receive(owner);
      },
      *sink);
}

}  // namespace sim::mpi
