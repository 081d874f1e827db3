// celeba-pack: reads CelebA (or an image folder, or IDX files) once and writes a sharded HDF5 training cache.
#include "common/cli.hpp"
#include "pipeline/pack.hpp"

#include <iostream>
#include <string>

int main(int argc, char** argv) {
  return cli::run("celeba-pack", [&]() -> int {
    namespace po = boost::program_options;
    std::string input, output, layout, store, compression, on_error;
    int size = 64, channels = 3, threads = 0;
    int64_t shard_size = 16384, max_pixels = 50'000'000, limit = 0;
    po::options_description desc(
        "Usage: celeba-pack --input DIR --output DIR [options]\n\n"
        "Decodes every image, resizes its shorter side to --size (torchvision Resize, Pillow's antialiased\n"
        "bilinear), center-crops to --size x --size, and writes uint8 CHW shards plus dataset.h5, which h5py\n"
        "reads as one dataset: h5py.File('OUT/dataset.h5')['images'][i]. Stored pixels u map to the model's\n"
        "input as x = (u/255 - mean)/std, with mean = std = 0.5 (torchvision Normalize(0.5, 0.5)).\n\n"
        "Examples:\n"
        "  celeba-pack --input ~/data/celeba --output cache/celeba64\n"
        "  celeba-pack --input /usr/share/datasets/fashion-mnist --layout idx --output cache/fmnist\n\n"
        "Exit status: 0 success (even with rejected inputs, listed in OUT/rejected.txt), 2 usage error, 1 failure.\n\n"
        "Options",
        110, 55);
    // clang-format off
    desc.add_options()
      ("help,h", "show this help")
      ("input", po::value(&input), "input directory (required)")
      ("output", po::value(&output), "output cache directory (required)")
      ("layout", po::value(&layout), "celeba | folder | idx (detected when omitted)")
      ("size", po::value(&size)->default_value(size), "output side S: Resize(S) then CenterCrop(S)")
      ("channels", po::value(&channels)->default_value(channels), "3 (RGB, as PIL convert('RGB')) or 1 (grayscale)")
      ("exact", "decode at full size and reproduce Pillow bit for bit (slower)")
      ("store", po::value(&store)->default_value("uint8"), "uint8 | float16 | float32 (floats are stored normalized)")
      ("compression", po::value(&compression)->default_value("none"), "none | deflate[:level] (chunked by image)")
      ("shard-size", po::value(&shard_size)->default_value(shard_size), "images per shard file")
      ("threads", po::value(&threads)->default_value(threads), "worker threads (0: all cores)")
      ("on-error", po::value(&on_error)->default_value("skip"), "skip (record in rejected.txt) | fail (stop at the first bad file)")
      ("max-pixels", po::value(&max_pixels)->default_value(max_pixels), "refuse images whose header declares more pixels")
      ("limit", po::value(&limit)->default_value(limit), "pack only the first N images (0: all)")
      ("resume", "continue an interrupted pack, keeping its complete shards")
      ("force", "overwrite an existing output directory")
      ("quiet", "no progress output");
    // clang-format on
    auto vm = cli::parse(argc, argv, desc);
    if (vm.count("help")) {
      std::cout << desc << '\n';
      return cli::kExitOk;
    }
    po::notify(vm);
    if (input.empty()) throw cli::UsageError("--input is required");
    if (output.empty()) throw cli::UsageError("--output is required");
    pipeline::PackOptions o;
    o.input = input;
    o.output = output;
    if (!layout.empty()) o.layout = pipeline::parse_layout(layout);
    o.transform.size = size;
    o.transform.channels = channels;
    o.transform.mode = vm.count("exact") ? pipeline::ResizeMode::exact : pipeline::ResizeMode::fast;
    o.transform.max_pixels = max_pixels;
    o.store = pipeline::parse_store(store);
    o.deflate_level = pipeline::parse_compression(compression);
    o.shard_size = shard_size;
    o.threads = threads;
    o.fail_on_error = pipeline::parse_on_error(on_error);
    o.limit = limit;
    o.resume = vm.count("resume") > 0;
    o.force = vm.count("force") > 0;
    if (vm.count("quiet")) o.progress = pipeline::Progress::Mode::quiet;
    const pipeline::PackSummary s = pipeline::pack(o);
    std::cout << "celeba-pack: " << pipeline::format_summary(s, o) << std::endl;
    return cli::kExitOk;
  });
}
