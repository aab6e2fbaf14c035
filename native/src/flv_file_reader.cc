#include "flv_file_reader.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

namespace librtmp_node {
namespace {

constexpr size_t kFlvHeaderBytes = 9;
// Files say 9; anything far beyond is not an FLV header.
constexpr uint32_t kMaxFlvHeaderBytes = 64 * 1024;
constexpr size_t kTagHeaderBytes = 11;
constexpr size_t kPreviousTagSizeBytes = 4;

uint32_t Be24(const uint8_t* p) { return (p[0] << 16) | (p[1] << 8) | p[2]; }
uint32_t Be32(const uint8_t* p) { return (uint32_t{p[0]} << 24) | Be24(p + 1); }

bool KnownTagType(uint8_t type) { return type == 8 || type == 9 || type == 18; }

}  // namespace

FlvFileReader::FlvFileReader(size_t sliceBytes)
    : sliceBytes_(sliceBytes < kMinSliceBytes ? kMinSliceBytes : sliceBytes) {}

FlvFileReader::~FlvFileReader() {
  if (fd_ >= 0) close(fd_);
}

Status FlvFileReader::Open(const std::string& path) {
  path_ = path;
  fd_ = open(path.c_str(), O_RDONLY | O_CLOEXEC);
  struct stat st = {};
  if (fd_ >= 0 && fstat(fd_, &st) == 0 && S_ISDIR(st.st_mode)) errno = EISDIR;
  if (fd_ < 0 || S_ISDIR(st.st_mode)) {
    Status s = Status::Error(code::kFile, "cannot open " + path + ": " + std::strerror(errno));
    s.sysErrno = errno;
    return s;
  }
  buffer_.resize(sliceBytes_);
  return Status::Ok();
}

Status FlvFileReader::ParseError(const std::string& what) const {
  return Status::Error(code::kFlvParse,
                       path_ + " at byte " + std::to_string(bufferOffset_ + begin_) + ": " + what);
}

// Moves the bytes not handed out yet to the front and reads until the buffer is full or
// the file ends.
Status FlvFileReader::Fill() {
  if (begin_ > 0) {
    std::memmove(buffer_.data(), buffer_.data() + begin_, end_ - begin_);
    bufferOffset_ += begin_;
    end_ -= begin_;
    begin_ = 0;
  }
  // Only here, with nothing handed out: growing moves the buffer.
  if (needed_ > buffer_.size()) buffer_.resize(needed_);
  while (end_ < buffer_.size() && !eof_) {
    const ssize_t n = read(fd_, buffer_.data() + end_, buffer_.size() - end_);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      Status s = Status::Error(code::kFile, "cannot read " + path_ + ": " + std::strerror(errno));
      s.sysErrno = errno;
      return s;
    }
    if (n == 0) eof_ = true;
    end_ += static_cast<size_t>(n);
  }
  return Status::Ok();
}

// The file header and PreviousTagSize0, when the file has one (a stream of bare tags is
// accepted too, as FlvParser does). False while more bytes are needed.
bool FlvFileReader::SkipFileHeader(Status* failure) {
  const size_t have = end_ - begin_;
  const uint8_t* p = buffer_.data() + begin_;
  if (have < 3 && !eof_) return false;
  if (have < 3 || std::memcmp(p, "FLV", 3) != 0) {
    started_ = true;
    return true;
  }
  if (have < kFlvHeaderBytes) {
    if (eof_) *failure = ParseError("the file ends inside the FLV header");
    return false;
  }
  const uint32_t headerBytes = Be32(p + 5);
  if (headerBytes < kFlvHeaderBytes || headerBytes > kMaxFlvHeaderBytes) {
    *failure = ParseError("invalid FLV header size " + std::to_string(headerBytes));
    return false;
  }
  if (have < headerBytes + kPreviousTagSizeBytes) {
    if (eof_) *failure = ParseError("the file ends inside the FLV header");
    needed_ = headerBytes + kPreviousTagSizeBytes;
    return false;
  }
  begin_ += headerBytes + kPreviousTagSizeBytes;
  started_ = true;
  return true;
}

Status FlvFileReader::Next(std::vector<FlvFileTag>* tags) {
  tags->clear();
  for (;;) {
    Status failure;
    if (!started_ && !SkipFileHeader(&failure) && !failure.ok()) return failure;
    while (started_ && end_ - begin_ >= kTagHeaderBytes) {
      const uint8_t* tag = buffer_.data() + begin_;
      const uint8_t type = tag[0] & 0x1f;  // the upper bits flag filtering/encryption
      if (!KnownTagType(type)) {
        // The tags before it go out first; the next call reports the fault.
        if (!tags->empty()) return Status::Ok();
        return ParseError("unknown FLV tag type " + std::to_string(type));
      }
      const uint32_t size = Be24(tag + 1);
      const size_t total = kTagHeaderBytes + size + kPreviousTagSizeBytes;
      if (end_ - begin_ < total) {
        needed_ = total;  // Fill() makes room for a tag larger than the buffer
        break;
      }
      const uint32_t timestamp = Be24(tag + 4) | (uint32_t{tag[7]} << 24);
      tags->push_back({type, timestamp, tag + kTagHeaderBytes, size});
      begin_ += total;
    }
    if (!tags->empty()) return Status::Ok();
    if (eof_) {
      if (begin_ != end_) return ParseError("the file ends inside a tag");
      return Status::Ok();
    }
    Status s = Fill();
    if (!s.ok()) return s;
  }
}

}  // namespace librtmp_node
