// A storage fault injector for tests: an SQLite VFS that wraps the default
// one (the operating system's files) and, while a fault is on, fails every
// write to the files under a chosen path prefix (the database, its -wal and
// -journal) the way the disk would:
// - kFull: SQLITE_FULL, what SQLite reports when write(2) gives ENOSPC (a
//   full disk or quota);
// - kIoError: SQLITE_IOERR_WRITE, what it reports for EROFS or EIO (a file
//   system remounted read-only under a running server, a failing disk).
// Reads are untouched. Everything else (opening, locking, the shared-memory
// index of WAL mode) goes to the real VFS, so the code under test runs its
// real SQLite paths; only the answer of write(2) is changed. Tests run as
// root here, where chmod does not stop writes: this injects the fault at
// SQLite's OS boundary instead, identically for any user.
//
// Install() makes it the default VFS (Store opens with the default), for the
// connections opened afterwards; Uninstall() restores the previous default.
// The fault switch is an atomic: flip it from any thread.
#pragma once

#include <sqlite3.h>

#include <atomic>
#include <cstring>
#include <mutex>
#include <string>

namespace testing_helpers {

class FaultVfs {
 public:
  enum Fault { kNone = 0, kFull, kIoError };

  // Faults apply to files whose name starts with `path_prefix`.
  static void Install(const std::string& path_prefix) {
    State& s = state();
    s.prefix = path_prefix;
    s.real = sqlite3_vfs_find(nullptr);
    s.vfs = *s.real;
    s.vfs.zName = "careerbot-test-faults";
    s.vfs.szOsFile = static_cast<int>(sizeof(File)) + s.real->szOsFile;
    s.vfs.pAppData = nullptr;
    s.vfs.xOpen = &Open;
    sqlite3_vfs_register(&s.vfs, 1);
  }
  static void Uninstall() {
    State& s = state();
    s.fault = kNone;
    sqlite3_vfs_unregister(&s.vfs);
    if (s.real) sqlite3_vfs_register(s.real, 1);
  }
  static void Set(Fault f) { state().fault = f; }
  // Writes refused since Install.
  static long refused() { return state().refused.load(); }

 private:
  struct File {
    sqlite3_file base;
    sqlite3_file* real;  // right after this struct, in the same allocation
    bool target;
  };
  struct State {
    std::string prefix;
    sqlite3_vfs* real = nullptr;
    sqlite3_vfs vfs{};
    sqlite3_io_methods methods{};
    std::atomic<int> fault{kNone};
    std::atomic<long> refused{0};
  };
  static State& state() {
    static State s;
    return s;
  }
  static sqlite3_file* Real(sqlite3_file* f) { return reinterpret_cast<File*>(f)->real; }

  static int Open(sqlite3_vfs*, sqlite3_filename name, sqlite3_file* file, int flags, int* out_flags) {
    State& s = state();
    File* f = reinterpret_cast<File*>(file);
    f->base.pMethods = nullptr;
    f->real = reinterpret_cast<sqlite3_file*>(f + 1);
    f->target = name && !s.prefix.empty() && std::strncmp(name, s.prefix.c_str(), s.prefix.size()) == 0;
    int rc = s.real->xOpen(s.real, name, f->real, flags, out_flags);
    if (f->real->pMethods) {
      // Every wrapped file shares one method table, copied from the real one's.
      static std::once_flag once;
      std::call_once(once, [f, &s] {
        sqlite3_io_methods& m = s.methods;
        m = *f->real->pMethods;
        m.xClose = [](sqlite3_file* p) { return Real(p)->pMethods->xClose(Real(p)); };
        m.xRead = [](sqlite3_file* p, void* b, int n, sqlite3_int64 o) { return Real(p)->pMethods->xRead(Real(p), b, n, o); };
        m.xWrite = [](sqlite3_file* p, const void* b, int n, sqlite3_int64 o) {
          int fault = state().fault.load();
          if (fault != kNone && reinterpret_cast<File*>(p)->target) {
            state().refused++;
            return fault == kFull ? SQLITE_FULL : SQLITE_IOERR_WRITE;
          }
          return Real(p)->pMethods->xWrite(Real(p), b, n, o);
        };
        m.xTruncate = [](sqlite3_file* p, sqlite3_int64 n) { return Real(p)->pMethods->xTruncate(Real(p), n); };
        m.xSync = [](sqlite3_file* p, int fl) { return Real(p)->pMethods->xSync(Real(p), fl); };
        m.xFileSize = [](sqlite3_file* p, sqlite3_int64* n) { return Real(p)->pMethods->xFileSize(Real(p), n); };
        m.xLock = [](sqlite3_file* p, int l) { return Real(p)->pMethods->xLock(Real(p), l); };
        m.xUnlock = [](sqlite3_file* p, int l) { return Real(p)->pMethods->xUnlock(Real(p), l); };
        m.xCheckReservedLock = [](sqlite3_file* p, int* r) { return Real(p)->pMethods->xCheckReservedLock(Real(p), r); };
        m.xFileControl = [](sqlite3_file* p, int op, void* a) { return Real(p)->pMethods->xFileControl(Real(p), op, a); };
        m.xSectorSize = [](sqlite3_file* p) { return Real(p)->pMethods->xSectorSize(Real(p)); };
        m.xDeviceCharacteristics = [](sqlite3_file* p) { return Real(p)->pMethods->xDeviceCharacteristics(Real(p)); };
        if (m.iVersion >= 2) {
          m.xShmMap = [](sqlite3_file* p, int pg, int sz, int ext, void volatile** out) {
            return Real(p)->pMethods->xShmMap(Real(p), pg, sz, ext, out);
          };
          m.xShmLock = [](sqlite3_file* p, int off, int n, int fl) { return Real(p)->pMethods->xShmLock(Real(p), off, n, fl); };
          m.xShmBarrier = [](sqlite3_file* p) { Real(p)->pMethods->xShmBarrier(Real(p)); };
          m.xShmUnmap = [](sqlite3_file* p, int del) { return Real(p)->pMethods->xShmUnmap(Real(p), del); };
        }
        if (m.iVersion >= 3) {
          // Memory-mapped I/O would bypass xRead; reads are never faulted, so forward.
          m.xFetch = [](sqlite3_file* p, sqlite3_int64 o, int n, void** out) {
            return Real(p)->pMethods->xFetch(Real(p), o, n, out);
          };
          m.xUnfetch = [](sqlite3_file* p, sqlite3_int64 o, void* q) { return Real(p)->pMethods->xUnfetch(Real(p), o, q); };
        }
      });
      f->base.pMethods = &s.methods;
    }
    return rc;
  }
};

}  // namespace testing_helpers
