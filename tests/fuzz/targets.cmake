# The fuzz targets and the libraries each links: one list for the libFuzzer and the replay builds (CMakeLists.txt).
# dcgan_add_fuzzer(<target> <libraries>) builds tests/fuzz/fuzz_<target>.cpp; scripts/fuzz names the same targets.
dcgan_add_fuzzer(jpeg pipeline)
dcgan_add_fuzzer(png pipeline)
dcgan_add_fuzzer(idx pipeline)
dcgan_add_fuzzer(celeba_meta pipeline)
dcgan_add_fuzzer(cache pipeline)
dcgan_add_fuzzer(checkpoint trainer)
dcgan_add_fuzzer(config trainer cli)
dcgan_add_fuzzer(metrics_csv trainer)
dcgan_add_fuzzer(npy trainer)
# The model whose names and shapes the checkpoint target checks files against: the committed seed weights file.
target_compile_definitions(${fuzz_exe_prefix}checkpoint PRIVATE
  DCGAN_FUZZ_MODEL_FILE="${CMAKE_CURRENT_SOURCE_DIR}/corpus/checkpoint/weights_32px_nz4.h5")
