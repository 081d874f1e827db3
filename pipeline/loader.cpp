// Loader: per-epoch permutations, batches read from the Cache on one background thread (see loader.hpp).
#include "pipeline/loader.hpp"

#include "portable_random.hpp"

#include <condition_variable>
#include <cstring>
#include <deque>
#include <exception>
#include <mutex>
#include <span>
#include <stdexcept>
#include <thread>

namespace pipeline {

struct Loader::Impl {
  Cache cache;
  LoaderOptions opt;
  std::vector<int64_t> selected;  // positions after the partition filter, ascending
  int64_t bpe = 0;
  size_t elems = 0;

  struct Batch {
    std::vector<float> data;  // [B, C, S, S]
    int n = 0;
  };
  std::vector<std::unique_ptr<Batch>> buffers;
  std::deque<Batch*> ready, spare;
  std::mutex mu;
  std::condition_variable cv;
  std::thread worker;
  bool running = false, stop = false;
  std::exception_ptr error;
  Position produce{}, consume{};

  // The producer's copy of the current epoch's order.
  int64_t order_epoch = -1;
  std::vector<int64_t> order;

  Impl(const std::filesystem::path& dir, const LoaderOptions& o) : cache(dir), opt(o) {}

  std::vector<int64_t> epoch_order(int64_t epoch) const {
    std::vector<int64_t> v = selected;
    // An engine per epoch, so that seek() needs no replay; the multiplier (an odd 64-bit constant from
    // SplitMix64) spreads consecutive epochs over unrelated seeds.
    prng::Engine rng(opt.seed ^ (0xD1B54A32D192ED03ull * static_cast<uint64_t>(epoch + 1)));
    prng::shuffle(std::span<int64_t>(v), rng);
    return v;
  }

  int batch_len(int64_t b) const {
    if (opt.slices > 1) return opt.batch / opt.slices;  // drop_last: every batch is whole
    const int64_t n = static_cast<int64_t>(selected.size());
    return static_cast<int>(std::min<int64_t>(opt.batch, n - b * opt.batch));
  }
  // Where this loader's images of batch b start in the epoch's order.
  int64_t batch_start(int64_t b) const { return b * opt.batch + int64_t{opt.slice} * (opt.batch / opt.slices); }

  static void advance(Position& p, int64_t bpe) {
    if (++p.batch == bpe) {
      p.batch = 0;
      ++p.epoch;
    }
  }

  void run() {
    try {
      while (true) {
        Batch* b = nullptr;
        Position at;
        {
          std::unique_lock<std::mutex> lk(mu);
          cv.wait(lk, [&] { return stop || !spare.empty(); });
          if (stop) return;
          b = spare.front();
          spare.pop_front();
          at = produce;
          advance(produce, bpe);
        }
        if (at.epoch != order_epoch) {
          order = epoch_order(at.epoch);
          order_epoch = at.epoch;
        }
        b->n = batch_len(at.batch);
        cache.read(std::span<const int64_t>(order.data() + batch_start(at.batch), size_t(b->n)), b->data.data());
        {
          std::lock_guard<std::mutex> lk(mu);
          ready.push_back(b);
        }
        cv.notify_all();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lk(mu);
      error = std::current_exception();
      cv.notify_all();
    }
  }

  void start() {
    // The batch buffers are allocated here, at the first batch, not in the constructor: a caller that refuses
    // the cache's geometry (the trainer's image-size check) has allocated nothing from it.
    while (buffers.size() < static_cast<size_t>(opt.prefetch)) {
      buffers.push_back(std::make_unique<Batch>());
      buffers.back()->data.resize(size_t(opt.batch / opt.slices) * elems);
      spare.push_back(buffers.back().get());
    }
    stop = false;
    running = true;
    worker = std::thread([this] { run(); });
  }

  void halt() {
    if (!running) return;
    {
      std::lock_guard<std::mutex> lk(mu);
      stop = true;
    }
    cv.notify_all();
    worker.join();
    running = false;
    // Every buffer becomes spare again; the next start produces from `consume`.
    ready.clear();
    spare.clear();
    for (auto& b : buffers) spare.push_back(b.get());
    produce = consume;
    error = nullptr;
  }
};

Loader::Loader(const std::filesystem::path& cache_dir, const LoaderOptions& o)
    : impl_(std::make_unique<Impl>(cache_dir, o)) {
  Impl& m = *impl_;
  if (o.batch < 1) throw std::invalid_argument("--batch must be at least 1, got " + std::to_string(o.batch));
  if (o.prefetch < 1) throw std::invalid_argument("prefetch must be at least 1, got " + std::to_string(o.prefetch));
  if (o.slices < 1 || o.slice < 0 || o.slice >= o.slices)
    throw std::invalid_argument("loader slice " + std::to_string(o.slice) + " of " + std::to_string(o.slices) +
                                " does not exist");
  if (o.slices > 1 && (!o.drop_last || o.batch % o.slices != 0))
    throw std::invalid_argument("--batch " + std::to_string(o.batch) + " does not divide among " +
                                std::to_string(o.slices) + " processes (each computes batch / processes images)");
  m.selected = m.cache.indices(o.partition);
  const int64_t n = static_cast<int64_t>(m.selected.size());
  if (n == 0)
    throw std::invalid_argument("--partition " + std::string(partition_name(o.partition)) + " of cache '" +
                                cache_dir.string() + "' holds no images");
  if (o.batch > n)
    throw std::invalid_argument("--batch " + std::to_string(o.batch) + " is larger than the " + std::to_string(n) +
                                " images of cache '" + cache_dir.string() + "' (partition " +
                                partition_name(o.partition) + ")");
  m.bpe = o.drop_last ? n / o.batch : (n + o.batch - 1) / o.batch;
  m.elems = m.cache.image_elems();
}

Loader::~Loader() {
  if (impl_) impl_->halt();
}

int64_t Loader::size() const { return static_cast<int64_t>(impl_->selected.size()); }
int64_t Loader::batches_per_epoch() const { return impl_->bpe; }
int Loader::channels() const { return impl_->cache.channels(); }
int Loader::image_size() const { return impl_->cache.size(); }
const LoaderOptions& Loader::options() const { return impl_->opt; }
const Cache& Loader::cache() const { return impl_->cache; }
Loader::Position Loader::position() const { return impl_->consume; }
std::vector<int64_t> Loader::epoch_order(int64_t epoch) const { return impl_->epoch_order(epoch); }

int Loader::next(float* dst) {
  Impl& m = *impl_;
  if (!m.running) m.start();  // started lazily, so that a seek() right after construction wastes no reads
  Impl::Batch* b = nullptr;
  {
    std::unique_lock<std::mutex> lk(m.mu);
    m.cv.wait(lk, [&] { return !m.ready.empty() || m.error; });
    if (m.ready.empty()) std::rethrow_exception(m.error);
    b = m.ready.front();
    m.ready.pop_front();
  }
  const int n = b->n;
  std::memcpy(dst, b->data.data(), size_t(n) * m.elems * sizeof(float));
  {
    std::lock_guard<std::mutex> lk(m.mu);
    m.spare.push_back(b);
  }
  m.cv.notify_all();
  Impl::advance(m.consume, m.bpe);
  return n;
}

void Loader::seek(Position p) {
  Impl& m = *impl_;
  if (p.epoch < 0 || p.batch < 0 || p.batch >= m.bpe)
    throw std::invalid_argument("loader position (epoch " + std::to_string(p.epoch) + ", batch " +
                                std::to_string(p.batch) + ") is outside the " + std::to_string(m.bpe) +
                                " batches of an epoch");
  m.halt();
  m.consume = p;
  m.produce = p;
}

}  // namespace pipeline
