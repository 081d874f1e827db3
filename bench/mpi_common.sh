# What the MPI benchmarks (mpi_train.sh, mpi_pack.sh) share, sourced by them: the tools' directory ($tools), a
# scratch directory removed on exit ($work), and mpirun with the flags for this one machine ($mpirun: more ranks
# than cores, no binding, shared memory without the single-copy mechanism containers forbid, loopback only).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
tools="${DCGAN_BUILD:-$root/build/release}/tools"
work="$(mktemp -d)"; trap 'rm -rf "$work"' EXIT
mpirun=(mpirun --oversubscribe --allow-run-as-root --bind-to none --mca btl self,vader
        --mca btl_vader_single_copy_mechanism none --mca oob_tcp_if_include lo)
