// Runs an exported generator with ONNX Runtime for Node.js (npm onnxruntime-node, CPU execution provider) on the
// latent vectors of Z.npy and compares its images with REF.npy, `dcgan-onednn sample --z Z.npy --raw REF.npy` of the
// same checkpoint. It runs the whole batch, then the last vector alone (the batch dimension is dynamic), and prints
// one line with the largest absolute difference. Exit 0 within --tolerance, 1 beyond it or on any error.
//
// Usage: NODE_PATH=build/npm/node_modules node tests/tools/onnx_check_ort.js G.onnx Z.npy REF.npy [--tolerance 1e-4]
// (scripts/install-deps test installs onnxruntime-node into build/npm.)
'use strict';
const fs = require('fs');
const ort = require('onnxruntime-node');

// A float32 little-endian C-order .npy file (what numpy and `sample --raw` write) as {shape, data}.
function readNpy(path) {
  const b = fs.readFileSync(path);
  if (b.toString('latin1', 0, 6) !== '\x93NUMPY') throw new Error(`${path}: not a .npy file`);
  const major = b[6];
  const len = major === 1 ? b.readUInt16LE(8) : b.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = b.toString('latin1', start, start + len);
  if (!/'descr':\s*'<f4'/.test(header) || !/'fortran_order':\s*False/.test(header))
    throw new Error(`${path}: not C-ordered float32 ('<f4'): ${header}`);
  const shape = header.match(/'shape':\s*\(([^)]*)\)/)[1].split(',').map(s => s.trim()).filter(s => s).map(Number);
  const count = shape.reduce((a, d) => a * d, 1);
  const bytes = b.subarray(start + len);
  if (bytes.length !== count * 4) throw new Error(`${path}: ${bytes.length} data bytes, the shape needs ${count * 4}`);
  const data = new Float32Array(count);
  for (let i = 0; i < count; ++i) data[i] = bytes.readFloatLE(i * 4);
  return {shape, data};
}

async function main() {
  const args = process.argv.slice(2);
  let tolerance = 1e-4;
  const t = args.indexOf('--tolerance');
  if (t >= 0) tolerance = Number(args.splice(t, 2)[1]);
  if (args.length !== 3) throw new Error('usage: onnx_check_ort.js G.onnx Z.npy REF.npy [--tolerance T]');
  const [model, zPath, refPath] = args;
  const z = readNpy(zPath), ref = readNpy(refPath);
  const n = z.shape[0], nz = z.data.length / n, per = ref.data.length / ref.shape[0];
  const session = await ort.InferenceSession.create(model, {executionProviders: ['cpu']});

  let worst = 0;
  for (const [first, count] of [[0, n], [n - 1, 1]]) {
    const input = new ort.Tensor('float32', z.data.slice(first * nz, (first + count) * nz), [count, nz, 1, 1]);
    const image = (await session.run({z: input})).image;
    const want = [count, ...ref.shape.slice(1)];
    if (image.dims.join() !== want.join()) {
      console.log(`onnxruntime: output [${image.dims}] for input [${input.dims}], expected [${want}]`);
      return 1;
    }
    for (let i = 0; i < image.data.length; ++i)
      worst = Math.max(worst, Math.abs(image.data[i] - ref.data[first * per + i]));
  }
  console.log(`onnxruntime-node ${ort.env.versions.node} (cpu): max |difference| ${worst.toExponential(2)} against ` +
              `sample over ${ref.shape[0]} images [${ref.shape.join(', ')}] (batch ${n} and batch 1), ` +
              `tolerance ${tolerance}`);
  return worst <= tolerance ? 0 : 1;
}

main().then(code => process.exit(code), e => {
  console.error(`onnxruntime: ${e.message}`);
  process.exit(1);
});
