#pragma once

#include <memory>
#include <string>

#include "sim/io/h5_handle.h"

namespace sim::io {

/// The first failure of a file written through the disk driver: errno and what was being done.
struct DiskStatus {
  /// errno of the first failed write, truncate or sync; 0 while all went well.
  int error = 0;
  /// "write", "truncate" or "sync".
  std::string operation;
};

/// A file-access property list for HDF5 files written straight to disk by natosim's driver: POSIX
/// pwrite like HDF5's sec2 driver, but a failed write (disk full, file size limit) is recorded in
/// `status` instead of being reported to HDF5, whose 1.10 release cannot close a file after a
/// failed write (it crashes at exit). Writers check `status` after each step and stop with their
/// own error; the file is then closed normally and removed. Closing syncs the file (fsync).
/// For tests, the environment variable NATOSIM_TEST_DISK_BYTES=N makes every write that would
/// reach beyond byte N fail with ENOSPC, as on a disk with N bytes free.
/// Throws OutputError when HDF5 refuses the property list.
H5Handle disk_access_list(const std::shared_ptr<DiskStatus>& status, const std::string& what);

}  // namespace sim::io
