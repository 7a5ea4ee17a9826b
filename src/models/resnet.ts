/**
 * ResNet-18 for 32×32 CIFAR images as in kuangliu/pytorch-cifar (the layout of the shared
 * trained model and of torch_baseline.py's ResNet18Cifar): a 3×3 stem without max-pool, four
 * stages of two basic blocks (64, 128, 256, 512 channels; stages 2–4 halve the resolution in
 * their first block, whose shortcut is a 1×1 conv + BatchNorm), global average pooling and a
 * linear classifier. Convolutions have no bias; BatchNorm stays as separate nodes, so pruning
 * and fault injection see the convolution weights as trained.
 *
 * | module | output (3×32×32 input) | params |
 * |---|---|---|
 * | conv1, bn1 | 64×32×32 | 1,856 |
 * | layer1 (2 blocks) | 64×32×32 | 147,968 |
 * | layer2 (2 blocks) | 128×16×16 | 525,568 |
 * | layer3 (2 blocks) | 256×8×8 | 2,099,712 |
 * | layer4 (2 blocks) | 512×4×4 | 8,393,728 |
 * | linear | 10 | 5,130 |
 *
 * 11,173,962 parameters (BatchNorm scale and bias included, running statistics not, as PyTorch
 * counts them) and 555,422,720 multiply-accumulates per image.
 */

import { defineArchitecture, type ZooEntry } from './define.js';
import type { TorchEmitter } from './layers.js';

/** One basic block at module `path`, as kuangliu's `BasicBlock` exports. */
function basicBlock(
  t: TorchEmitter,
  path: string,
  x: string,
  cin: number,
  cout: number,
  stride: number,
): string {
  let out = t.conv2d(`${path}.conv1`, x, { cin, cout, kernel: 3, stride, padding: 1, bias: false });
  out = t.relu(path, t.batchNorm2d(`${path}.bn1`, out, cout));
  out = t.conv2d(`${path}.conv2`, out, { cin: cout, cout, kernel: 3, padding: 1, bias: false });
  out = t.batchNorm2d(`${path}.bn2`, out, cout);
  let shortcut = x;
  if (stride !== 1 || cin !== cout) {
    const s = t.conv2d(`${path}.shortcut.0`, x, { cin, cout, kernel: 1, stride, bias: false });
    shortcut = t.batchNorm2d(`${path}.shortcut.1`, s, cout);
  }
  return t.relu(path, t.add(path, out, shortcut));
}

/** The `resnet18-cifar` zoo entry. */
export const resnet18Cifar: ZooEntry = defineArchitecture({
  name: 'resnet18-cifar',
  description:
    'ResNet-18 for 32x32 CIFAR (kuangliu/pytorch-cifar): 3x3 stem, 4 stages of 2 basic blocks, BatchNorm nodes; 11,173,962 params',
  reference: 'He, Zhang, Ren, Sun 2016, Deep Residual Learning for Image Recognition',
  inputShape: [3, 32, 32],
  numClasses: 10,
  dataset: 'cifar10',
  body({ t, input, inputShape, numClasses }) {
    let x = t.conv2d('conv1', input, { cin: inputShape[0], cout: 64, kernel: 3, padding: 1, bias: false });
    x = t.relu('', t.batchNorm2d('bn1', x, 64));
    let cin = 64;
    const stages: [number, number][] = [
      [64, 1],
      [128, 2],
      [256, 2],
      [512, 2],
    ];
    stages.forEach(([cout, stride], i) => {
      x = basicBlock(t, `layer${i + 1}.0`, x, cin, cout, stride);
      x = basicBlock(t, `layer${i + 1}.1`, x, cout, cout, 1);
      cin = cout;
    });
    x = t.flatten('', t.globalAvgPool('', x));
    return t.linear('linear', x, 512, numClasses, 'logits');
  },
});
