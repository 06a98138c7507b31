// In-memory shared object loading.
//
// glibc's dlopen returns an already-loaded object whose name matches, and
// "/proc/self/fd/N" names repeat once N is closed. So the memfd stays open for
// as long as the object is loaded, and if an object of that name is still
// loaded anyway (one that outlived its dlclose), the load goes to a uniquely
// named temporary file instead.
#include "runtime/drivers/cpu/shared_object.h"

#include <dlfcn.h>
#include <elf.h>
#include <fcntl.h>
#include <link.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "runtime/core/logging.h"

namespace hexmoe::hal::cpu {
namespace {

/// Whether an object loaded in this process has exactly this name.
bool isNameLoaded(const std::string& path) {
  struct Search {
    const std::string* path;
    bool found;
  } search{&path, false};
  dl_iterate_phdr(
      [](dl_phdr_info* info, size_t, void* p) {
        auto* s = static_cast<Search*>(p);
        if (info->dlpi_name && *s->path == info->dlpi_name) s->found = true;
        return s->found ? 1 : 0;
      },
      &search);
  return search.found;
}

Status writeAll(int fd, const uint8_t* data, size_t size, const std::string& what) {
  while (size > 0) {
    ssize_t n = ::write(fd, data, size);
    if (n < 0) {
      if (errno == EINTR) continue;
      return errnoStatus(errno, what + ": writing the shared object");
    }
    data += n;
    size -= static_cast<size_t>(n);
  }
  return okStatus();
}

/// Whether [offset, offset + count * entry) lies inside `size` bytes.
bool inBounds(uint64_t offset, uint64_t count, uint64_t entry, uint64_t size) {
  if (entry && count > (UINT64_MAX - offset) / entry) return false;
  return offset + count * entry <= size;
}

/// glibc's dlopen trusts the program and section headers it maps: a
/// truncated or edited object crashes it. Every table and every segment and
/// section with file contents must lie inside the bytes we have.
Status checkElfBounds(const uint8_t* data, size_t size, const std::string& what) {
  Elf64_Ehdr eh;
  std::memcpy(&eh, data, sizeof(eh));
  auto damaged = [&](const std::string& detail) {
    return dataLoss(what + ": damaged shared object: " + detail + " (" + std::to_string(size) + " bytes)");
  };
  if (eh.e_phnum == 0 || eh.e_phentsize != sizeof(Elf64_Phdr) ||
      !inBounds(eh.e_phoff, eh.e_phnum, sizeof(Elf64_Phdr), size))
    return damaged("its program headers lie outside the file");
  bool loadable = false;
  for (uint16_t i = 0; i < eh.e_phnum; ++i) {
    Elf64_Phdr ph;
    std::memcpy(&ph, data + eh.e_phoff + i * sizeof(Elf64_Phdr), sizeof(ph));
    if (!inBounds(ph.p_offset, ph.p_filesz, 1, size))
      return damaged("segment " + std::to_string(i) + " lies outside the file");
    if (ph.p_type == PT_LOAD) {
      loadable = true;
      if (ph.p_filesz > ph.p_memsz) return damaged("segment " + std::to_string(i) + " is larger in the file than in memory");
    }
  }
  if (!loadable) return damaged("it has no loadable segment");
  if (eh.e_shnum != 0) {
    if (eh.e_shentsize != sizeof(Elf64_Shdr) || !inBounds(eh.e_shoff, eh.e_shnum, sizeof(Elf64_Shdr), size) ||
        eh.e_shstrndx >= eh.e_shnum)
      return damaged("its section headers lie outside the file");
    for (uint16_t i = 0; i < eh.e_shnum; ++i) {
      Elf64_Shdr sh;
      std::memcpy(&sh, data + eh.e_shoff + i * sizeof(Elf64_Shdr), sizeof(sh));
      if (sh.sh_type != SHT_NOBITS && !inBounds(sh.sh_offset, sh.sh_size, 1, size))
        return damaged("section " + std::to_string(i) + " lies outside the file");
    }
  }
  return okStatus();
}

/// Refuses anything that is not a 64-bit little-endian ELF for this machine,
/// or whose headers point outside it, before dlopen sees it.
Status checkElf(const uint8_t* data, size_t size, const std::string& what) {
  if (size < 64 || std::memcmp(data, "\x7f" "ELF", 4) != 0)
    return invalidArgument(what + ": not an ELF shared object");
  uint16_t machine = static_cast<uint16_t>(data[18] | (data[19] << 8));
  uint16_t type = static_cast<uint16_t>(data[16] | (data[17] << 8));
#if defined(__x86_64__)
  constexpr uint16_t kHostMachine = 62;  // EM_X86_64
  const char* hostName = "x86-64";
#elif defined(__aarch64__)
  constexpr uint16_t kHostMachine = 183;  // EM_AARCH64
  const char* hostName = "aarch64";
#else
  constexpr uint16_t kHostMachine = 0;
  const char* hostName = "this machine";
#endif
  if (data[4] != 2 || data[5] != 1 || machine != kHostMachine)
    return failedPrecondition(what + ": shared object is not a 64-bit little-endian ELF for " + hostName);
  if (type != 3)  // ET_DYN
    return invalidArgument(what + ": ELF file is not a shared object");
  return checkElfBounds(data, size, what);
}

/// dlopen of a fresh name: refuses a name that is already loaded (see the file comment).
void* openUnique(const std::string& path, std::string& error) {
  if (isNameLoaded(path)) {
    error = "an object named " + path + " is still loaded";
    return nullptr;
  }
  void* handle = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* e = dlerror();
    error = e ? e : "dlopen failed";
  }
  return handle;
}

}  // namespace

Status SharedObject::checkImage(const uint8_t* data, size_t size, const std::string& what) {
  return checkElf(data, size, what);
}

StatusOr<std::unique_ptr<SharedObject>> SharedObject::loadFromMemory(const uint8_t* data, size_t size,
                                                                     const std::string& what) {
  HEXMOE_RETURN_IF_ERROR(checkImage(data, size, what));
  std::string error;

  const char* noMemfd = std::getenv("HEXMOE_NO_MEMFD");
  if (!noMemfd || std::strcmp(noMemfd, "1") != 0) {
    int fd = memfd_create("hexmoe-kernels", MFD_CLOEXEC);
    if (fd >= 0) {
      Status written = writeAll(fd, data, size, what);
      if (written.ok()) {
        void* handle = openUnique("/proc/self/fd/" + std::to_string(fd), error);
        if (handle) return std::unique_ptr<SharedObject>(new SharedObject(handle, fd, "memfd"));
      } else {
        error = written.message();
      }
      ::close(fd);
      HEXMOE_LOG_DEBUG("{}: loading through memfd failed ({}); trying a temporary file", what, error);
    } else {
      HEXMOE_LOG_DEBUG("{}: memfd_create failed ({}); using a temporary file", what, std::strerror(errno));
    }
  }

  const char* tmpdir = std::getenv("TMPDIR");
  std::string path = std::string(tmpdir && *tmpdir ? tmpdir : "/tmp") + "/hexmoe-kernels-XXXXXX.so";
  int fd = mkstemps(path.data(), 3);
  if (fd < 0) return errnoStatus(errno, what + ": creating a temporary file in " + path);
  Status written = writeAll(fd, data, size, what);
  ::close(fd);
  void* handle = nullptr;
  if (written.ok()) handle = openUnique(path, error);
  // The mapping keeps the contents alive; the name is no longer needed.
  ::unlink(path.c_str());
  HEXMOE_RETURN_IF_ERROR(written);
  if (!handle) return invalidArgument(what + ": cannot load the shared object: " + error);
  return std::unique_ptr<SharedObject>(new SharedObject(handle, -1, "tmpfile"));
}

SharedObject::~SharedObject() {
  dlclose(handle_);
  if (fd_ >= 0) ::close(fd_);
}

void* SharedObject::symbol(const std::string& name, std::string& error) const {
  dlerror();
  void* p = dlsym(handle_, name.c_str());
  if (!p) {
    const char* e = dlerror();
    error = e ? e : "symbol is null";
  }
  return p;
}

const void* SharedObject::data(const std::string& name, size_t& size, std::string& error) const {
  void* p = symbol(name, error);
  if (!p) return nullptr;
  Dl_info info;
  void* entry = nullptr;
  if (!dladdr1(p, &info, &entry, RTLD_DL_SYMENT) || !entry || info.dli_saddr != p) {
    error = "no symbol table entry for " + name;
    return nullptr;
  }
  size = static_cast<const ElfW(Sym)*>(entry)->st_size;
  return p;
}

}  // namespace hexmoe::hal::cpu
