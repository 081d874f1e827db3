// CelebA metadata: the attribute and partition lists (official .txt and Kaggle .csv), MD5 checks against the
// official release, and detection of an HTML page saved in place of a file (a failed Google Drive download).
#pragma once
#include <cstdint>
#include <filesystem>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace pipeline {

// MD5 (RFC 1321) as 32 lowercase hex digits.
std::string md5_hex(std::span<const uint8_t> bytes);

// True when the bytes start (after an optional UTF-8 BOM and whitespace) like an HTML document:
// "<!doctype html", "<html", "<head" or "<body", case-insensitively.
bool looks_like_html(std::span<const uint8_t> bytes);

// The MD5 torchvision's datasets/celeba.py lists for an official CelebA text file, or empty when unknown.
std::string_view official_md5(std::string_view filename);

// A warning when `bytes` (the content of `path`) differs from the official file of the same name, else nothing.
// `listed` is the number of images the file lists, to tell a subset apart from a damaged copy in the message.
std::optional<std::string> check_official_md5(const std::filesystem::path& path, std::span<const uint8_t> bytes,
                                              int64_t listed);

// list_attr_celeba.txt (count line, names line, "name v1 .. vK" with 1/-1, any spacing, LF or CRLF) or
// list_attr_celeba.csv ("image_id,<names>" header, then "name,v1,..,vK").
struct CelebaAttributes {
  std::vector<std::string> names;   // attribute names, K of them (40 in CelebA)
  std::vector<std::string> images;  // image file names, in file order
  std::vector<int8_t> values;       // [images.size(), K], 1 or -1
};
// Throws std::runtime_error naming the file and line, with a hint (HTML page, truncated file, bad value). Both lists
// refuse, naming the line, an image name that leaves the image folder (absolute, or climbing out with "..") and a
// name listed twice (compared as paths, "./a.jpg" being "a.jpg"; the message names the first line too).
CelebaAttributes parse_celeba_attributes(const std::filesystem::path& path, std::span<const uint8_t> bytes);

// list_eval_partition.txt ("name 0|1|2") or list_eval_partition.csv ("image_id,partition" header).
struct CelebaPartition {
  std::vector<std::string> images;  // in file order
  std::vector<uint8_t> partition;   // 0 train, 1 valid, 2 test
};
CelebaPartition parse_celeba_partition(const std::filesystem::path& path, std::span<const uint8_t> bytes);

// Reads a whole (text) file; throws naming it when it cannot be read.
std::vector<uint8_t> read_whole_file(const std::filesystem::path& path);

}  // namespace pipeline
