// The pack's flow graph (DESIGN.md "celeba-pack"): reads inputs of a source in order, transforms them in parallel
// and hands each, still in source order, to a sink: the ShardWriter in one process (pack.cpp), a rank's spool in a
// pack across MPI ranks (pack_ranks.cpp).
//
//   input_node (serial file reads, in order) -> limiter_node (K tokens: bounded memory at any dataset size)
//   -> function_node, unlimited (decode + resize + crop [+ normalize], one Transform per worker thread)
//   -> sequencer_node (restores input order) -> function_node, serial (the sink) -> limiter decrement.
//
// What reaches the sink depends only on the input and the options, never on --threads.
#pragma once
#include "pipeline/pack.hpp"
#include "pipeline/shard_writer.hpp"

#include <cstdint>
#include <string>

namespace pipeline {

// Where packed inputs go, one call per input in source order, from one thread at a time.
class PackSink {
 public:
  virtual ~PackSink() = default;
  // Input `source` packed: image [spec.image_bytes()], the stored type's [C,S,S], and its zlib CRC-32.
  virtual void image(int64_t source, const uint8_t* image, uint32_t crc) = 0;
  // Input `source` rejected, and why (the text rejected.txt gives).
  virtual void reject(int64_t source, const std::string& reason) = 0;
  // After the last input: completes what the sink writes.
  virtual void finish() = 0;
};

// Packs inputs [begin, end) of the source into the sink with --threads workers, showing progress as `label`.
// With --on-error fail, throws at the first rejected input, naming it. A failed HDF5 write on a full disk is
// rethrown saying so.
void pack_inputs(const PackOptions& o, const Source& source, const ShardSpec& spec, PackSink& sink, int64_t begin,
                 int64_t end, const std::string& label = "packing");

}  // namespace pipeline
