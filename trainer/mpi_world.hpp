// The processes of one job started by mpirun (or srun), on Open MPI: rank, size, the collectives data-parallel
// training and the pack across ranks use (nn/collectives.hpp), and ending the whole job when one rank fails. A
// world of one otherwise. Each tool's main makes one.
#pragma once
#include "nn/collectives.hpp"

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>

namespace trainer {

class MpiWorld final : public nn::Collectives {
 public:
  // Initializes MPI (MPI_THREAD_FUNNELED: only the main thread calls MPI) when an MPI launcher started this process,
  // which its environment says: OMPI_COMM_WORLD_SIZE (mpirun), PMIX_RANK (srun --mpi=pmix) or PMI_RANK. Otherwise
  // it makes no MPI call and is a world of one, so that a tool run without mpirun behaves exactly as before.
  // One per process, for the life of main.
  MpiWorld();
  ~MpiWorld() override;  // MPI_Finalize
  MpiWorld(const MpiWorld&) = delete;
  MpiWorld& operator=(const MpiWorld&) = delete;

  bool active() const { return active_; }  // MPI was initialized
  int rank() const override { return rank_; }
  int size() const override { return size_; }
  void allreduce_sum(float* data, size_t n) override;
  void allreduce_sum(double* data, size_t n) override;
  void start_allreduce_sum(float* data, size_t n) override;
  void progress() override;  // MPI_Testall on the started sums
  void wait_all() override;  // MPI_Waitall
  void allreduce_max(int64_t* data, size_t n) override;
  void allgather(const void* send, size_t bytes, void* recv) override;
  void broadcast(void* data, size_t bytes, int root) override;

  // Ends every process of the job with exit status `code` (MPI_Abort): a rank that failed must not leave the
  // others waiting in a collective. In a world of one, std::exit(code).
  [[noreturn]] void abort(int code) const;

  // What a tool calls itself in its messages: "tool", or "tool (rank R of N)" in a job of several ranks.
  std::string name(const std::string& tool) const;
  // Rank 0 alone writes to standard output (summaries, --help); the other ranks' std::cout discards what it is
  // given, so that mpirun does not print the same text N times. Errors still reach every rank's standard error.
  void quiet_unless_rank_0() const;

 private:
  bool active_ = false;
  int rank_ = 0, size_ = 1;
  struct Pending;                     // the started sums' MPI requests (mpi.h stays out of this header)
  std::unique_ptr<Pending> pending_;
};

// The world of this process while an MpiWorld lives (each tool's main makes one), else nullptr.
MpiWorld* mpi_world();

// mpi_world() when it has more than one rank, else nullptr: what a Context's comm takes.
nn::Collectives* data_parallel_group();

}  // namespace trainer
