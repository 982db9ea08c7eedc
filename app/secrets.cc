#include "app/secrets.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>

#include "bot/text.h"

namespace adapters {

bot::Status ReadSecret(const Environment& env, const std::string& name, std::string* out) {
  out->clear();
  const std::string value = env.Get(name);
  const std::string file_var = name + "_FILE";
  const std::string file = env.Get(file_var);
  bool has_value = !value.empty();
  bool has_file = !file.empty();
  if (has_value && has_file) {
    return bot::Status::InvalidArgument(name + " and " + file_var + " are both set: set one of them");
  }
  if (has_value) {
    *out = std::string(bot::Trim(value));
    return bot::Status::Ok();
  }
  if (!has_file) return bot::Status::Ok();
  const std::string path = file;
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC | O_NOCTTY);
  if (fd < 0) {
    return bot::Status::InvalidArgument(file_var + ": cannot open " + path + ": " + std::strerror(errno));
  }
  struct stat st {};
  std::string error;
  if (::fstat(fd, &st) != 0) {
    error = "cannot read " + path + ": " + std::strerror(errno);
  } else if (!S_ISREG(st.st_mode)) {
    error = path + " is not a regular file";
  } else if ((st.st_mode & (S_IRWXG | S_IRWXO)) != 0) {
    char mode[8];
    std::snprintf(mode, sizeof mode, "%04o", static_cast<unsigned>(st.st_mode & 07777));
    error = path + " has mode " + mode + ": a secret's file must be readable by its owner alone (chmod 600 " + path +
            ")";
  } else if (st.st_size > 64 * 1024) {
    error = path + " is larger than 64 KiB: not a secret";
  }
  std::string content;
  if (error.empty()) {
    char buf[4096];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) {
        error = "cannot read " + path + ": " + std::strerror(errno);
        break;
      }
      if (n == 0) break;
      content.append(buf, static_cast<size_t>(n));
      if (content.size() > 64 * 1024) {
        error = path + " is larger than 64 KiB: not a secret";
        break;
      }
    }
  }
  ::close(fd);
  if (!error.empty()) return bot::Status::InvalidArgument(file_var + ": " + error);
  *out = std::string(bot::Trim(content));
  return bot::Status::Ok();
}

}  // namespace adapters
