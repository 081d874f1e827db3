// The job's processes on Open MPI (see mpi_world.hpp).
#include "trainer/mpi_world.hpp"

#include <mpi.h>

#include <algorithm>
#include <climits>
#include <cstdlib>
#include <iostream>
#include <stdexcept>
#include <string>
#include <vector>

namespace trainer {

namespace {

MpiWorld* g_world = nullptr;

bool started_by_launcher() {
  for (const char* v : {"OMPI_COMM_WORLD_SIZE", "PMIX_RANK", "PMI_RANK"})
    if (std::getenv(v)) return true;
  return false;
}

// MPI counts are int: larger transfers go in pieces of at most 2^30 elements.
constexpr size_t kPiece = size_t(1) << 30;

template <class T>
void allreduce(T* data, size_t n, MPI_Datatype type, MPI_Op op) {
  for (size_t at = 0; at < n; at += kPiece)
    MPI_Allreduce(MPI_IN_PLACE, data + at, static_cast<int>(std::min(kPiece, n - at)), type, op, MPI_COMM_WORLD);
}

}  // namespace

struct MpiWorld::Pending {
  std::vector<MPI_Request> requests;
};

// MPI's default error handler (MPI_ERRORS_ARE_FATAL) stays: a failed call, or a peer that died, ends the job.
MpiWorld::MpiWorld() : pending_(std::make_unique<Pending>()) {
  if (g_world) throw std::logic_error("trainer::MpiWorld: one per process");
  if (started_by_launcher()) {
    int provided = 0;
    MPI_Init_thread(nullptr, nullptr, MPI_THREAD_FUNNELED, &provided);
    active_ = true;
    MPI_Comm_rank(MPI_COMM_WORLD, &rank_);
    MPI_Comm_size(MPI_COMM_WORLD, &size_);
  }
  g_world = this;
}

MpiWorld::~MpiWorld() {
  g_world = nullptr;
  if (active_) MPI_Finalize();
}

void MpiWorld::allreduce_sum(float* data, size_t n) {
  if (active_) allreduce(data, n, MPI_FLOAT, MPI_SUM);
}
void MpiWorld::allreduce_sum(double* data, size_t n) {
  if (active_) allreduce(data, n, MPI_DOUBLE, MPI_SUM);
}
void MpiWorld::start_allreduce_sum(float* data, size_t n) {
  if (!active_) return;
  for (size_t at = 0; at < n; at += kPiece) {
    MPI_Request r;
    MPI_Iallreduce(MPI_IN_PLACE, data + at, static_cast<int>(std::min(kPiece, n - at)), MPI_FLOAT, MPI_SUM,
                   MPI_COMM_WORLD, &r);
    pending_->requests.push_back(r);
  }
}

void MpiWorld::progress() {
  auto& q = pending_->requests;
  if (q.empty()) return;
  int done = 0;
  MPI_Testall(static_cast<int>(q.size()), q.data(), &done, MPI_STATUSES_IGNORE);
  if (done) q.clear();
}

void MpiWorld::wait_all() {
  auto& q = pending_->requests;
  if (q.empty()) return;
  MPI_Waitall(static_cast<int>(q.size()), q.data(), MPI_STATUSES_IGNORE);
  q.clear();
}

void MpiWorld::allreduce_max(int64_t* data, size_t n) {
  if (active_) allreduce(data, n, MPI_INT64_T, MPI_MAX);
}

void MpiWorld::allgather(const void* send, size_t bytes, void* recv) {
  if (!active_) {
    std::copy_n(static_cast<const unsigned char*>(send), bytes, static_cast<unsigned char*>(recv));
    return;
  }
  if (bytes > INT_MAX) throw std::length_error("trainer::MpiWorld::allgather: more than 2 GB per rank");
  MPI_Allgather(send, static_cast<int>(bytes), MPI_BYTE, recv, static_cast<int>(bytes), MPI_BYTE, MPI_COMM_WORLD);
}

void MpiWorld::broadcast(void* data, size_t bytes, int root) {
  if (!active_) return;
  auto* p = static_cast<unsigned char*>(data);
  for (size_t at = 0; at < bytes; at += kPiece)
    MPI_Bcast(p + at, static_cast<int>(std::min(kPiece, bytes - at)), MPI_BYTE, root, MPI_COMM_WORLD);
}

void MpiWorld::abort(int code) const {
  if (active_) MPI_Abort(MPI_COMM_WORLD, code);
  std::exit(code);
}

std::string MpiWorld::name(const std::string& tool) const {
  if (size_ == 1) return tool;
  return tool + " (rank " + std::to_string(rank_) + " of " + std::to_string(size_) + ")";
}

void MpiWorld::quiet_unless_rank_0() const {
  if (rank_ != 0) std::cout.setstate(std::ios::failbit);
}

MpiWorld* mpi_world() { return g_world; }

nn::Collectives* data_parallel_group() { return g_world && g_world->size() > 1 ? g_world : nullptr; }

}  // namespace trainer
