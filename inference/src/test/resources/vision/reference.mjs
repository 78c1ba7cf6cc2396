// Reference outputs of the detector graphs computed independently of Parley: TensorFlow.js (pure
// JS CPU backend) runs a model.json on a deterministic input and writes a small fixture that
// GraphParityTest compares Parley's DJL execution against (tolerance 1e-4).
//
// Regenerate (needs node and npm; nothing of this is a build step):
//   mkdir -p /tmp/tfjs && cd /tmp/tfjs && npm install @tensorflow/tfjs-core@4.22.0 \
//     @tensorflow/tfjs-converter@4.22.0 @tensorflow/tfjs-backend-cpu@4.22.0
//   NODE_PATH=/tmp/tfjs/node_modules node inference/src/test/resources/vision/reference.mjs \
//     models/nanodet > inference/src/test/resources/vision/nanodet-reference.json
//   NODE_PATH=/tmp/tfjs/node_modules node inference/src/test/resources/vision/reference.mjs \
//     models/centernet > inference/src/test/resources/vision/centernet-reference.json
import { createRequire } from 'module';
import fs from 'fs';
import path from 'path';

const require = createRequire(path.join(process.env.NODE_PATH || '.', 'noop.js'));
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const converter = require('@tensorflow/tfjs-converter');

const dir = process.argv[2];
const model = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
const group = model.weightsManifest[0];
const data = Buffer.concat(group.paths.map((p) => fs.readFileSync(path.join(dir, p))));
const weightData = data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength);

await tf.setBackend('cpu');
const graph = await converter.loadGraphModel(tf.io.fromMemory({
  modelTopology: model.modelTopology, weightSpecs: group.weights, weightData,
  format: model.format, generatedBy: model.generatedBy, convertedBy: model.convertedBy,
  signature: model.signature,
}));

// The inputs GraphParityTest builds too. NanoDet: value(c, y, x) = ((7c + 13y + 17x) mod 256) / 255,
// NCHW [1,3,416,416]. CenterNet: pixels, value(y, x, c) = (7c + 13y + 17x) mod 256, NHWC [1,512,512,3];
// its two network outputs (the graph's own top-100 decoding after them is not Parley's).
const centernet = path.basename(path.resolve(dir)) === 'centernet';
const S = centernet ? 512 : 416;
const input = new Float32Array(3 * S * S);
for (let c = 0; c < 3; c++) for (let y = 0; y < S; y++) for (let x = 0; x < S; x++) {
  if (centernet) input[(y * S + x) * 3 + c] = (7 * c + 13 * y + 17 * x) % 256;
  else input[(c * S + y) * S + x] = ((7 * c + 13 * y + 17 * x) % 256) / 255;
}
const names = centernet ? ['tower_0/keypoints', 'tower_0/wh']
  : ['Identity', 'Identity_1', 'Identity_2', 'Identity_3', 'Identity_4', 'Identity_5'];
const outs = graph.execute(tf.tensor4d(input, centernet ? [1, S, S, 3] : [1, 3, S, S]), names.map((n) => n + ':0'));
const result = {
  input: centernet ? '(7c + 13y + 17x) mod 256, NHWC [1,512,512,3]' : '((7c + 13y + 17x) mod 256) / 255, NCHW [1,3,416,416]',
  tool: 'tfjs-core/converter/backend-cpu 4.22.0',
  outputs: {},
};
for (let i = 0; i < names.length; i++) {
  const v = outs[i].dataSync();
  const picks = [];
  // 64 values spread over the tensor, deterministically.
  for (let k = 0; k < 64; k++) {
    const at = Math.floor((k * 7919 * 104729) % v.length);
    picks.push([at, v[at]]);
  }
  let sum = 0;
  let sq = 0;
  for (const x of v) { sum += x; sq += x * x; }
  result.outputs[names[i]] = { shape: outs[i].shape, values: picks, sum, sumSquares: sq };
}
process.stdout.write(JSON.stringify(result, null, 1) + '\n');
