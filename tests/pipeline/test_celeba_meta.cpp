// Tests of CelebA metadata: MD5 against RFC 1321's vectors and md5sum, HTML-page detection, attribute and
// partition parsing (official .txt with CRLF and irregular spacing, Kaggle .csv), and errors with line numbers
// (among them a name listed twice, and a name leaving the image folder).
#include "pipeline/celeba_meta.hpp"
#include "pack_fixtures.hpp"

#include <gtest/gtest.h>

#include <random>

using namespace pipeline;
using packtest::error_of;
namespace fs = std::filesystem;

static std::span<const uint8_t> bytes_of(const std::string& s) {
  return {reinterpret_cast<const uint8_t*>(s.data()), s.size()};
}

TEST(Md5, Rfc1321TestSuite) {
  // RFC 1321 appendix A.5.
  EXPECT_EQ(md5_hex(bytes_of("")), "d41d8cd98f00b204e9800998ecf8427e");
  EXPECT_EQ(md5_hex(bytes_of("a")), "0cc175b9c0f1b6a831c399e269772661");
  EXPECT_EQ(md5_hex(bytes_of("abc")), "900150983cd24fb0d6963f7d28e17f72");
  EXPECT_EQ(md5_hex(bytes_of("message digest")), "f96b697d7cb7938d525a2f31aaf161d0");
  EXPECT_EQ(md5_hex(bytes_of("abcdefghijklmnopqrstuvwxyz")), "c3fcd3d76192e4007dfb496cca67e13b");
  EXPECT_EQ(md5_hex(bytes_of("12345678901234567890123456789012345678901234567890123456789012345678901234567890")),
            "57edf4a22be3c955ac49da2e2107b67a");
}

TEST(Md5, MatchesMd5sumAtPaddingBoundaries) {
  const fs::path dir = testsupport::fresh_dir("md5_boundaries");
  std::mt19937 rng(7);
  for (size_t len : {55u, 56u, 63u, 64u, 65u, 119u, 120u, 128u, 100000u}) {
    std::string s(len, '\0');
    for (auto& c : s) c = static_cast<char>(rng());
    const fs::path p = dir / ("blob" + std::to_string(len));
    packtest::write_file(p, s);
    const auto r = testsupport::run("md5sum " + p.string());
    ASSERT_EQ(r.status, 0) << r.err;
    EXPECT_EQ(md5_hex(bytes_of(s)), r.out.substr(0, 32)) << "length " << len;
  }
}

TEST(CelebaMeta, DetectsHtmlPages) {
  EXPECT_TRUE(looks_like_html(bytes_of("<!DOCTYPE html><html><head><title>Google Drive - Quota exceeded")));
  EXPECT_TRUE(looks_like_html(bytes_of("\xEF\xBB\xBF \r\n  <HTML lang=en>")));
  EXPECT_TRUE(looks_like_html(bytes_of("<head><meta")));
  EXPECT_FALSE(looks_like_html(bytes_of("202599\r\n5_o_Clock_Shadow Arched_Eyebrows")));
  EXPECT_FALSE(looks_like_html(bytes_of("\xFF\xD8\xFF\xE0")));
  EXPECT_FALSE(looks_like_html(bytes_of("")));
}

TEST(CelebaMeta, ParsesOfficialTextWithCrlfAndIrregularSpacing) {
  const std::string txt =
      "3\r\n"
      "Bald Smiling  Young \r\n"
      "000001.jpg -1  1  1\r\n"
      "000002.jpg  1 -1 -1\r\n"
      "000003.jpg\t1  1 -1\r\n"
      "\r\n";
  const auto a = parse_celeba_attributes("list_attr_celeba.txt", bytes_of(txt));
  EXPECT_EQ(a.names, (std::vector<std::string>{"Bald", "Smiling", "Young"}));
  EXPECT_EQ(a.images, (std::vector<std::string>{"000001.jpg", "000002.jpg", "000003.jpg"}));
  EXPECT_EQ(a.values, (std::vector<int8_t>{-1, 1, 1, 1, -1, -1, 1, 1, -1}));

  const auto p = parse_celeba_partition("list_eval_partition.txt", bytes_of("000001.jpg 0\r\n000002.jpg  1\n000003.jpg 2"));
  EXPECT_EQ(p.images.size(), 3u);
  EXPECT_EQ(p.partition, (std::vector<uint8_t>{0, 1, 2}));
}

TEST(CelebaMeta, ParsesKaggleCsv) {
  const std::string csv = "image_id,Bald,Smiling\n000001.jpg,-1,1\n000002.jpg,1,-1\n";
  const auto a = parse_celeba_attributes("list_attr_celeba.csv", bytes_of(csv));
  EXPECT_EQ(a.names, (std::vector<std::string>{"Bald", "Smiling"}));
  EXPECT_EQ(a.values, (std::vector<int8_t>{-1, 1, 1, -1}));
  const auto p = parse_celeba_partition("list_eval_partition.csv", bytes_of("image_id,partition\r\n000001.jpg,0\r\n000002.jpg,2\r\n"));
  EXPECT_EQ(p.images, (std::vector<std::string>{"000001.jpg", "000002.jpg"}));
  EXPECT_EQ(p.partition, (std::vector<uint8_t>{0, 2}));
}


TEST(CelebaMeta, ErrorsNameTheFileAndLine) {
  auto attrs = [](const std::string& s) { return [s] { parse_celeba_attributes("list_attr_celeba.txt", bytes_of(s)); }; };
  std::string e = error_of(attrs("2\nA B\n000001.jpg 1 -1\n000002.jpg 1 2\n"));
  EXPECT_NE(e.find("list_attr_celeba.txt' line 4"), std::string::npos) << e;
  EXPECT_NE(e.find("'2'"), std::string::npos) << e;
  e = error_of(attrs("2\nA B\n000001.jpg 1 -1\n000002.jpg 1\n"));
  EXPECT_NE(e.find("line 4"), std::string::npos) << e;
  EXPECT_NE(e.find("truncated"), std::string::npos) << e;
  e = error_of(attrs("5\nA B\n000001.jpg 1 -1\n"));
  EXPECT_NE(e.find("line 1"), std::string::npos) << e;
  EXPECT_NE(e.find("declares 5 images"), std::string::npos) << e;
  e = error_of(attrs("A B\n000001.jpg 1 -1\n"));
  EXPECT_NE(e.find("line 1"), std::string::npos) << e;
  e = error_of(attrs("<!DOCTYPE html><html><body>Google Drive - Quota exceeded</body></html>"));
  EXPECT_NE(e.find("HTML page"), std::string::npos) << e;
  EXPECT_NE(e.find("Download the file again"), std::string::npos) << e;
  e = error_of([] { parse_celeba_partition("list_eval_partition.txt", bytes_of("000001.jpg 0\n000002.jpg 7\n")); });
  EXPECT_NE(e.find("line 2"), std::string::npos) << e;
}

TEST(CelebaMeta, OfficialMd5MismatchIsAWarning) {
  EXPECT_EQ(official_md5("list_attr_celeba.txt"), "75e246fa4810816ffd6ee81facbd244c");
  EXPECT_EQ(official_md5("list_eval_partition.txt"), "d32c9cbf5e040fd4025c592c306e6668");
  EXPECT_TRUE(official_md5("list_attr_celeba.csv").empty());
  const std::string content = "1\nA\n000001.jpg 1\n";
  const auto w = check_official_md5("dir/list_attr_celeba.txt", bytes_of(content), 1);
  ASSERT_TRUE(w.has_value());
  EXPECT_NE(w->find(md5_hex(bytes_of(content))), std::string::npos) << *w;
  EXPECT_NE(w->find("subset"), std::string::npos) << *w;
  EXPECT_FALSE(check_official_md5("dir/list_attr_celeba.csv", bytes_of(content), 1).has_value());
}

// A name listed twice would be packed twice: refused, naming the file, the repeat's line and the first one's. Names
// are compared as paths ("./a.jpg" is "a.jpg"). The same in the Kaggle CSVs and the partition list.
TEST(CelebaMeta, NamesListedTwiceAreRefusedNamingBothLines) {
  std::string e = error_of(
      [] { parse_celeba_attributes("list_attr_celeba.txt", bytes_of("3\nA\n000001.jpg 1\n000002.jpg -1\n000001.jpg 1\n")); });
  EXPECT_NE(e.find("list_attr_celeba.txt' line 5"), std::string::npos) << e;
  EXPECT_NE(e.find("'000001.jpg'"), std::string::npos) << e;
  EXPECT_NE(e.find("line 3"), std::string::npos) << e;
  e = error_of([] { parse_celeba_attributes("list_attr_celeba.csv", bytes_of("image_id,A\n000001.jpg,1\n./000001.jpg,-1\n")); });
  EXPECT_NE(e.find("list_attr_celeba.csv' line 3"), std::string::npos) << e;
  EXPECT_NE(e.find("line 2"), std::string::npos) << e;
  e = error_of([] { parse_celeba_partition("list_eval_partition.txt", bytes_of("000001.jpg 0\n000002.jpg 1\n000002.jpg 2\n")); });
  EXPECT_NE(e.find("list_eval_partition.txt' line 3"), std::string::npos) << e;
  EXPECT_NE(e.find("'000002.jpg'"), std::string::npos) << e;
  EXPECT_NE(e.find("line 2"), std::string::npos) << e;
}

// The lists name files inside the image folder: an absolute name, or one whose ".." climbs out of the folder, is
// refused naming the file and line, and nothing outside is ever opened. A ".." that stays inside is a name like any.
TEST(CelebaMeta, NamesLeavingTheImageFolderAreRefusedNamingTheLine) {
  for (const std::string bad : {"/etc/passwd", "../000001.jpg", "sub/../../x.jpg", "..", "/"}) {
    std::string e = error_of([&] {
      parse_celeba_attributes("list_attr_celeba.txt", bytes_of("2\nA\n000001.jpg 1\n" + bad + " 1\n"));
    });
    EXPECT_NE(e.find("list_attr_celeba.txt' line 4"), std::string::npos) << bad << ": " << e;
    EXPECT_NE(e.find("'" + bad + "'"), std::string::npos) << bad << ": " << e;
    EXPECT_NE(e.find("outside the image folder"), std::string::npos) << bad << ": " << e;
    e = error_of([&] { parse_celeba_partition("list_eval_partition.csv", bytes_of("image_id,partition\n" + bad + ",0\n")); });
    EXPECT_NE(e.find("list_eval_partition.csv' line 2"), std::string::npos) << bad << ": " << e;
    EXPECT_NE(e.find("outside the image folder"), std::string::npos) << bad << ": " << e;
  }
  const auto a = parse_celeba_attributes("list_attr_celeba.txt", bytes_of("2\nA\n000001.jpg 1\nsub/../000002.jpg 1\n"));
  EXPECT_EQ(a.images, (std::vector<std::string>{"000001.jpg", "sub/../000002.jpg"}));
}
