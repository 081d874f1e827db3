// libjpeg-turbo decoding through its libjpeg API (see jpeg.hpp).
#include "pipeline/jpeg.hpp"

// jpeglib.h needs size_t and FILE declared first (libjpeg.txt, "Compilation").
#include <cstddef>
#include <cstdio>
#include <jpeglib.h>

#include <algorithm>
#include <csetjmp>
#include <cstring>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace pipeline {

// Everything libjpeg holds for one decompressor. Heap-allocated and never moved: libjpeg keeps pointers to
// the error and progress managers, and they find this struct through ci.client_data.
struct JpegDecoderState {
  jpeg_decompress_struct ci{};
  jpeg_error_mgr err{};
  jpeg_progress_mgr progress{};
  std::jmp_buf jump{};                 // where error_exit returns to (libjpeg.txt, "Error handling")
  char error[JMSG_LENGTH_MAX] = {};    // the error that stopped the last call
  char warning[JMSG_LENGTH_MAX] = {};  // the first warning since the last header, "" when none
  const uint8_t* pending = nullptr;    // the bytes whose header is read and whose decode has not started
  size_t pending_size = 0;
  std::vector<JSAMPROW> rows;          // [output height] row pointers into the caller's image
};

namespace {

using State = JpegDecoderState;

State& state_of(j_common_ptr c) { return *static_cast<State*>(c->client_data); }

// libjpeg errors are fatal to the image: keep the message and return to the setjmp of the running call.
void on_error(j_common_ptr c) {
  State& s = state_of(c);
  (*c->err->format_message)(c, s.error);
  std::longjmp(s.jump, 1);
}

// Warnings (msg_level < 0) are counted and the first kept, as libjpeg's own emit_message and TurboJPEG do:
// the first one names the damage, the rest follow from it. Trace messages (>= 0) are dropped.
void on_message(j_common_ptr c, int msg_level) {
  if (msg_level >= 0) return;
  if (c->err->num_warnings++ == 0) (*c->err->format_message)(c, state_of(c).warning);
}

void no_output(j_common_ptr) {}  // never print to stderr

// TurboJPEG's TJFLAG_LIMITSCANS: a progressive file with hundreds of scans costs a full pass each (a decode-time
// bomb, libjpeg-turbo's "Progressive JPEG image has more than 500 scans" limit in tjDecompress2).
constexpr int kMaxScans = 500;
void on_progress(j_common_ptr c) {
  if (!c->is_decompressor) return;
  if (reinterpret_cast<j_decompress_ptr>(c)->input_scan_number > kMaxScans) {
    State& s = state_of(c);
    std::snprintf(s.error, sizeof s.error, "Progressive JPEG image has more than %d scans", kMaxScans);
    std::longjmp(s.jump, 1);
  }
}

// The calls below hold setjmp. They return false after a libjpeg error (the message in s.error). Their locals
// are all trivially destructible, so the longjmp skips no destructor ([csetjmp.syn]).

bool create(State& s) {
  if (setjmp(s.jump)) return false;
  jpeg_create_decompress(&s.ci);
  return true;
}

bool read_header(State& s, const uint8_t* data, size_t size) {
  if (setjmp(s.jump)) return false;
  jpeg_mem_src(&s.ci, data, static_cast<unsigned long>(size));
  jpeg_read_header(&s.ci, TRUE);
  return true;
}

// libjpeg's own libjpeg.txt sequence: start, skip the rows before `begin`, read up to `end`, then either finish
// (reads to the end-of-image marker) or stop early. Stopping early abandons the entropy-coded data of the rows
// after `end`; *ends is then whether the file still holds its end-of-image marker beyond the data read (an
// entropy-coded segment cannot contain FF D9: a data FF is stuffed as FF 00, the only markers inside are RSTn).
bool decode_rows(State& s, JpegScale scale, J_COLOR_SPACE space, int begin, int end, bool* sizes_match, bool* ends) {
  if (setjmp(s.jump)) return false;
  j_decompress_ptr ci = &s.ci;
  ci->scale_num = static_cast<unsigned>(scale.num);
  ci->scale_denom = static_cast<unsigned>(scale.den);
  ci->out_color_space = space;
  ci->dct_method = JDCT_ISLOW;      // libjpeg's and Pillow's default
  ci->do_fancy_upsampling = TRUE;   // idem
  jpeg_start_decompress(ci);
  *sizes_match = ci->output_height == s.rows.size();
  if (!*sizes_match) {
    jpeg_abort_decompress(ci);
    return true;
  }
  const auto height = static_cast<JDIMENSION>(s.rows.size());
  if (begin > 0) jpeg_skip_scanlines(ci, static_cast<JDIMENSION>(begin));
  while (ci->output_scanline < static_cast<JDIMENSION>(end)) {
    const JDIMENSION at = ci->output_scanline;
    if (jpeg_read_scanlines(ci, s.rows.data() + at, static_cast<JDIMENSION>(end) - at) == 0) {
      std::snprintf(s.error, sizeof s.error, "the decoder stopped at row %u of %u", at, height);
      jpeg_abort_decompress(ci);
      return false;
    }
  }
  if (static_cast<JDIMENSION>(end) == height) {
    jpeg_finish_decompress(ci);
    *ends = true;
    return true;
  }
  *ends = jpeg_input_complete(ci) || ci->unread_marker == JPEG_EOI;
  // Searched from the end, where a whole file keeps it: found at once rather than after the abandoned data.
  const jpeg_source_mgr* src = ci->src;
  for (size_t i = src->bytes_in_buffer; !*ends && i >= 2; --i)
    *ends = src->next_input_byte[i - 2] == 0xFF && src->next_input_byte[i - 1] == JPEG_EOI;
  jpeg_abort_decompress(ci);
  return true;
}

bool contains(const char* s, const char* what) { return std::strstr(s, what) != nullptr; }

// libjpeg reports running out of data as "Premature end of JPEG file" (JWRN_JPEG_EOF). Its first warning is
// the one kept, so a cut file reports this rather than the damage that follows it.
bool means_truncated(const char* m) { return contains(m, "Premature end of JPEG file"); }

}  // namespace

int bytes_per_pixel(JpegPixels p) {
  switch (p) {
    case JpegPixels::gray: return 1;
    case JpegPixels::rgb: return 3;
    case JpegPixels::cmyk: return 4;
  }
  return 3;
}

JpegScale choose_jpeg_scale(int w, int h, int need_w, int need_h) {
  for (int den : {8, 4, 2}) {
    const JpegScale s{1, den};
    if (s.apply(w) >= need_w && s.apply(h) >= need_h) return s;
  }
  return {1, 1};
}

JpegDecoder::JpegDecoder() : st_(std::make_unique<JpegDecoderState>()) {
  State& s = *st_;
  s.ci.err = jpeg_std_error(&s.err);
  s.err.error_exit = on_error;
  s.err.emit_message = on_message;
  s.err.output_message = no_output;
  s.progress.progress_monitor = on_progress;
  if (!create(s))
    throw std::runtime_error(std::string("libjpeg: jpeg_create_decompress failed: ") + s.error + " (out of memory?)");
  s.ci.client_data = &s;
  s.ci.progress = &s.progress;
}

JpegDecoder::~JpegDecoder() {
  if (st_) jpeg_destroy_decompress(&st_->ci);
}

JpegDecoder::JpegDecoder(JpegDecoder&& o) noexcept = default;

JpegDecoder& JpegDecoder::operator=(JpegDecoder&& o) noexcept {
  if (this != &o) {
    if (st_) jpeg_destroy_decompress(&st_->ci);
    st_ = std::move(o.st_);
  }
  return *this;
}

JpegHeader JpegDecoder::header(std::span<const uint8_t> bytes) {
  State& s = *st_;
  // A header read by an earlier call whose decode never came: libjpeg returns to its start state.
  jpeg_abort_decompress(&s.ci);
  s.pending = nullptr;
  s.warning[0] = '\0';
  if (!read_header(s, bytes.data(), bytes.size())) {
    // After an error, jpeg_abort_decompress returns the object to its start state (libjpeg.txt, "Error handling").
    jpeg_abort_decompress(&s.ci);
    const char* m = means_truncated(s.warning) ? s.warning : s.error;
    throw RejectedInput((means_truncated(m) ? std::string("truncated JPEG (header cut short): ")
                                            : std::string("corrupt JPEG header: ")) + m);
  }
  JpegHeader hd;
  hd.width = static_cast<int>(s.ci.image_width);
  hd.height = static_cast<int>(s.ci.image_height);
  switch (s.ci.jpeg_color_space) {
    case JCS_GRAYSCALE: hd.color = JpegColor::gray; break;
    case JCS_CMYK:
    case JCS_YCCK: hd.color = JpegColor::cmyk; break;
    case JCS_RGB:
    case JCS_YCbCr: hd.color = JpegColor::color; break;
    default: {
      const int n = s.ci.num_components;
      jpeg_abort_decompress(&s.ci);
      throw RejectedInput("unsupported JPEG: its colour space cannot be determined (" + std::to_string(n) +
                          " components)");
    }
  }
  if (hd.width <= 0 || hd.height <= 0) {
    jpeg_abort_decompress(&s.ci);
    throw RejectedInput("truncated or corrupt JPEG: no image frame in the " + std::to_string(bytes.size()) +
                        " bytes of the file");
  }
  s.pending = bytes.data();
  s.pending_size = bytes.size();
  return hd;
}

void JpegDecoder::decode(std::span<const uint8_t> bytes, const JpegHeader& header, JpegScale scale,
                         JpegPixels format, uint8_t* dst, int pitch, JpegRows rows) {
  State& s = *st_;
  if (s.pending != bytes.data() || s.pending_size != bytes.size()) {
    const JpegHeader again = this->header(bytes);
    if (again.width != header.width || again.height != header.height)
      throw std::invalid_argument("JpegDecoder::decode: the header passed is not these bytes' header");
  }
  s.pending = nullptr;
  const int height = scale.apply(header.height);
  const int begin = std::clamp(rows.begin, 0, height);
  const int end = rows.end < 0 ? height : std::clamp(rows.end, begin, height);
  s.rows.assign(static_cast<size_t>(height), nullptr);
  for (int r = begin; r < end; ++r) s.rows[static_cast<size_t>(r)] = dst + static_cast<ptrdiff_t>(r) * pitch;
  const J_COLOR_SPACE space = format == JpegPixels::gray  ? JCS_GRAYSCALE
                              : format == JpegPixels::rgb ? JCS_EXT_RGB
                                                          : JCS_CMYK;
  bool sizes_match = true, ends = true;
  if (!decode_rows(s, scale, space, begin, end, &sizes_match, &ends)) {
    jpeg_abort_decompress(&s.ci);
    const std::string m = s.error;
    if (means_truncated(s.warning) || means_truncated(m.c_str()))
      throw RejectedInput("truncated JPEG: " + std::string(means_truncated(s.warning) ? s.warning : m));
    throw RejectedInput("corrupt JPEG: " + m);
  }
  if (!sizes_match)
    throw std::logic_error("JpegDecoder::decode: libjpeg's scaled height differs from JpegScale::apply for " +
                           std::to_string(header.width) + "x" + std::to_string(header.height) + " at " +
                           std::to_string(scale.num) + "/" + std::to_string(scale.den));
  if (s.err.num_warnings > 0) {
    // The image was decoded completely; only a warning was raised. Pillow ignores libjpeg warnings except
    // running out of data (it then raises "image file is truncated"). Extraneous bytes before a marker are
    // harmless (common in camera files); anything else means the entropy-coded data is damaged.
    const std::string m = s.warning;
    if (means_truncated(s.warning)) throw RejectedInput("truncated JPEG: " + m);
    if (!contains(s.warning, "extraneous bytes")) {
      static constexpr std::string_view kPrefix = "Corrupt JPEG data: ";  // libjpeg's own wording of most of them
      throw RejectedInput("corrupt JPEG data: " + (m.starts_with(kPrefix) ? m.substr(kPrefix.size()) : m));
    }
  }
  if (!ends)
    throw RejectedInput("truncated JPEG: the file ends without its end-of-image marker (" +
                        std::to_string(bytes.size()) + " bytes)");
}

}  // namespace pipeline
