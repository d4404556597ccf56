#include "sim/io/h5_disk_driver.h"

#include <hdf5.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <iterator>
#include <limits>
#include <type_traits>

#include "sim/io/h5_detail.h"

namespace sim::io {
namespace {

constexpr haddr_t kMaxAddress = static_cast<haddr_t>(std::numeric_limits<std::int64_t>::max());

// The driver's file-access information: the status the writer watches.
struct DriverInfo {
  std::shared_ptr<DiskStatus> status;
};

// One open file. HDF5's public part must come first (HDF5 casts between the two).
struct DiskFile {
  H5FD_t public_part;
  int descriptor = -1;
  haddr_t eoa = 0;
  haddr_t eof = 0;
  dev_t device = 0;
  ino_t inode = 0;
  /// Owned (new/delete), so that the struct stays standard-layout; may hold nullptr.
  std::shared_ptr<DiskStatus>* status = nullptr;
  /// Writes reaching beyond this byte fail with ENOSPC (NATOSIM_TEST_DISK_BYTES).
  haddr_t disk_bytes = kMaxAddress;
};

static_assert(std::is_standard_layout_v<DiskFile>, "HDF5 casts H5FD_t* to DiskFile*");

bool failed(const DiskFile& file) { return *file.status && (*file.status)->error != 0; }

void record(DiskFile& file, int error, const char* operation) {
  if (*file.status && (*file.status)->error == 0) {
    (*file.status)->error = error;
    (*file.status)->operation = operation;
  }
}

void* info_copy(const void* info) {
  return new (std::nothrow) DriverInfo(*static_cast<const DriverInfo*>(info));
}

herr_t info_free(void* info) {
  delete static_cast<DriverInfo*>(info);
  return 0;
}

H5FD_t* disk_open(const char* name, unsigned flags, hid_t fapl, haddr_t maxaddr) {
  if (name == nullptr || maxaddr == 0 || maxaddr == HADDR_UNDEF || maxaddr > kMaxAddress) {
    return nullptr;
  }
  int open_flags = (flags & H5F_ACC_RDWR) != 0 ? O_RDWR : O_RDONLY;
  if ((flags & H5F_ACC_TRUNC) != 0) open_flags |= O_TRUNC;
  if ((flags & H5F_ACC_CREAT) != 0) open_flags |= O_CREAT;
  if ((flags & H5F_ACC_EXCL) != 0) open_flags |= O_EXCL;
  const int descriptor = ::open(name, open_flags | O_CLOEXEC, 0666);
  if (descriptor < 0) return nullptr;
  struct stat info {};
  if (::fstat(descriptor, &info) != 0) {
    ::close(descriptor);
    return nullptr;
  }
  auto* file = new (std::nothrow) DiskFile{};
  auto* status = new (std::nothrow) std::shared_ptr<DiskStatus>();
  if (file == nullptr || status == nullptr) {
    delete file;
    delete status;
    ::close(descriptor);
    return nullptr;
  }
  file->status = status;
  file->descriptor = descriptor;
  file->eof = static_cast<haddr_t>(info.st_size);
  file->device = info.st_dev;
  file->inode = info.st_ino;
  const auto* driver_info = static_cast<const DriverInfo*>(H5Pget_driver_info(fapl));
  if (driver_info != nullptr) *file->status = driver_info->status;
  if (const char* limit = std::getenv("NATOSIM_TEST_DISK_BYTES"); limit != nullptr) {
    file->disk_bytes = std::strtoull(limit, nullptr, 10);
  }
  return &file->public_part;
}

herr_t disk_close(H5FD_t* handle) {
  auto* file = reinterpret_cast<DiskFile*>(handle);
  const bool writable = (file->public_part.access_flags & H5F_ACC_RDWR) != 0;
  if (writable && !failed(*file) && ::fsync(file->descriptor) != 0) {
    record(*file, errno, "sync");
  }
  if (::close(file->descriptor) != 0) record(*file, errno, "close");
  delete file->status;
  delete file;
  return 0;
}

int disk_compare(const H5FD_t* a, const H5FD_t* b) {
  const auto* x = reinterpret_cast<const DiskFile*>(a);
  const auto* y = reinterpret_cast<const DiskFile*>(b);
  if (x->device != y->device) return x->device < y->device ? -1 : 1;
  if (x->inode != y->inode) return x->inode < y->inode ? -1 : 1;
  return 0;
}

herr_t disk_query(const H5FD_t* /*file*/, unsigned long* flags) {
  if (flags != nullptr) {
    *flags = H5FD_FEAT_AGGREGATE_METADATA | H5FD_FEAT_ACCUMULATE_METADATA | H5FD_FEAT_DATA_SIEVE |
             H5FD_FEAT_AGGREGATE_SMALLDATA;
  }
  return 0;
}

haddr_t disk_get_eoa(const H5FD_t* handle, H5FD_mem_t /*type*/) {
  return reinterpret_cast<const DiskFile*>(handle)->eoa;
}

herr_t disk_set_eoa(H5FD_t* handle, H5FD_mem_t /*type*/, haddr_t address) {
  reinterpret_cast<DiskFile*>(handle)->eoa = address;
  return 0;
}

haddr_t disk_get_eof(const H5FD_t* handle, H5FD_mem_t /*type*/) {
  return reinterpret_cast<const DiskFile*>(handle)->eof;
}

herr_t disk_get_handle(H5FD_t* handle, hid_t /*fapl*/, void** file_handle) {
  if (file_handle == nullptr) return -1;
  *file_handle = &reinterpret_cast<DiskFile*>(handle)->descriptor;
  return 0;
}

herr_t disk_read(H5FD_t* handle, H5FD_mem_t /*type*/, hid_t /*dxpl*/, haddr_t address,
                 std::size_t size, void* buffer) {
  auto* file = reinterpret_cast<DiskFile*>(handle);
  auto* bytes = static_cast<unsigned char*>(buffer);
  while (size > 0) {
    const ssize_t n = ::pread(file->descriptor, bytes, size, static_cast<off_t>(address));
    if (n < 0) {
      if (errno == EINTR) continue;
      return -1;
    }
    if (n == 0) {
      // Past the end of the file: HDF5 expects zeros.
      std::memset(bytes, 0, size);
      break;
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
    address += static_cast<haddr_t>(n);
  }
  return 0;
}

herr_t disk_write(H5FD_t* handle, H5FD_mem_t /*type*/, hid_t /*dxpl*/, haddr_t address,
                  std::size_t size, const void* buffer) {
  auto* file = reinterpret_cast<DiskFile*>(handle);
  const haddr_t end = address + size;
  // After a failure nothing more is written: the file is going to be removed anyway. HDF5 is
  // told that all went well so that it can still close the file.
  if (failed(*file)) {
    file->eof = std::max(file->eof, end);
    return 0;
  }
  if (end > file->disk_bytes) {
    record(*file, ENOSPC, "write");
    return 0;
  }
  const auto* bytes = static_cast<const unsigned char*>(buffer);
  while (size > 0) {
    const ssize_t n = ::pwrite(file->descriptor, bytes, size, static_cast<off_t>(address));
    if (n < 0) {
      if (errno == EINTR) continue;
      record(*file, errno, "write");
      break;
    }
    bytes += n;
    size -= static_cast<std::size_t>(n);
    address += static_cast<haddr_t>(n);
  }
  file->eof = std::max(file->eof, end);
  return 0;
}

herr_t disk_truncate(H5FD_t* handle, hid_t /*dxpl*/, hbool_t /*closing*/) {
  auto* file = reinterpret_cast<DiskFile*>(handle);
  if (file->eoa == file->eof) return 0;
  if (!failed(*file) && ::ftruncate(file->descriptor, static_cast<off_t>(file->eoa)) != 0) {
    record(*file, errno, "truncate");
  }
  file->eof = file->eoa;
  return 0;
}

H5FD_class_t make_driver_class() {
  H5FD_class_t driver{};
  driver.name = "natosim_disk";
  driver.maxaddr = kMaxAddress;
  driver.fc_degree = H5F_CLOSE_WEAK;
  driver.fapl_size = sizeof(DriverInfo);
  driver.fapl_copy = info_copy;
  driver.fapl_free = info_free;
  driver.open = disk_open;
  driver.close = disk_close;
  driver.cmp = disk_compare;
  driver.query = disk_query;
  driver.get_eoa = disk_get_eoa;
  driver.set_eoa = disk_set_eoa;
  driver.get_eof = disk_get_eof;
  driver.get_handle = disk_get_handle;
  driver.read = disk_read;
  driver.write = disk_write;
  driver.truncate = disk_truncate;
  // Metadata and raw data on separate free lists, as HDF5's sec2 driver does.
  const H5FD_mem_t free_lists[H5FD_MEM_NTYPES] = H5FD_FLMAP_DICHOTOMY;
  std::copy(std::begin(free_lists), std::end(free_lists), std::begin(driver.fl_map));
  return driver;
}

hid_t driver_id() {
  static const H5FD_class_t driver = make_driver_class();
  static const hid_t id = H5FDregister(&driver);
  return id;
}

}  // namespace

H5Handle disk_access_list(const std::shared_ptr<DiskStatus>& status, const std::string& what) {
  const hid_t id = detail::check_id(driver_id(), what, "cannot register the disk driver");
  H5Handle fapl(detail::check_id(H5Pcreate(H5P_FILE_ACCESS), what, "cannot create property list"));
  const DriverInfo info{status};
  detail::check_status(H5Pset_driver(fapl.get(), id, &info), what, "cannot select the disk driver");
  return fapl;
}

}  // namespace sim::io
