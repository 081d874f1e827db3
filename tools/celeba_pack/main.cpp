// celeba-pack: reads CelebA (or an image folder, or IDX files) once and writes a sharded HDF5 training cache.
#include "common/options.hpp"
#include "pipeline/pack.hpp"
#include "pipeline/pack_options.hpp"
#include "pipeline/versions.hpp"
#include "trainer/mpi_world.hpp"

#include <iostream>
#include <string>
#include <string_view>

namespace {

constexpr const char* kUsage =
    "Usage: celeba-pack --input DIR --output DIR [options]\n\n"
    "Decodes every image, resizes its shorter side to --size (torchvision Resize, Pillow's antialiased\n"
    "bilinear), center-crops to --size x --size, and writes uint8 CHW shards plus dataset.h5, which h5py\n"
    "reads as one dataset: h5py.File('OUT/dataset.h5')['images'][i]. Stored pixels u map to the model's\n"
    "input as x = (u/255 - mean)/std, with mean = std = 0.5 (torchvision Normalize(0.5, 0.5)).\n\n"
    "Examples:\n"
    "  celeba-pack --input ~/data/celeba --output cache/celeba64\n"
    "  celeba-pack --input /usr/share/datasets/fashion-mnist --layout idx --output cache/fmnist\n"
    "  celeba-pack --version    (alone) the SIMD path the kernels take on this CPU (DCGAN_MAX_CPU_ISA=\n"
    "                           avx512|avx2|scalar caps it) and the versions of the libraries loaded\n"
    "  mpirun -np 4 celeba-pack --input ~/data/celeba --output /shared/cache/celeba64\n"
    "                           across 4 processes (or machines): each decodes a quarter of the inputs; the\n"
    "                           cache is byte-identical to a one-process pack. --input and --output must be\n"
    "                           the same directories on every machine (a shared file system).\n\n"
    "Exit status: 0 success (even with rejected inputs, listed in OUT/rejected.txt), 2 usage error, 1 failure.";

}  // namespace

int main(int argc, char** argv) {
  trainer::MpiWorld world;  // MPI when mpirun or srun started this process; otherwise a world of one, no MPI call
  world.quiet_unless_rank_0();
  const int rc = cli::run(world.name("celeba-pack"), [&]() -> int {
    if (argc == 2 && std::string_view(argv[1]) == "--version") {
      pipeline::print_info_items(std::cout, pipeline::pipeline_info(), false);
      return cli::kExitOk;
    }
    pipeline::PackOptions o;
    if (!cli::parse(argc, argv, kUsage, pipeline::pack_options(), o)) return cli::kExitOk;
    o.group = trainer::data_parallel_group();
    const pipeline::PackSummary s = pipeline::pack(o);
    std::cout << "celeba-pack: " << pipeline::format_summary(s, o) << std::endl;
    return cli::kExitOk;
  });
  // A rank that failed ends the job: the others would wait for it in their next collective.
  if (cli::failed(rc) && world.size() > 1) world.abort(rc);
  return rc;
}
