/**
 * VGG-11 with BatchNorm for 32×32 CIFAR images as in kuangliu/pytorch-cifar (configuration "A" of
 * Simonyan & Zisserman: eight 3×3 convolutions 64, M, 128, M, 256, 256, M, 512, 512, M, 512, 512,
 * M, each followed by BatchNorm and ReLU; M = 2×2 max-pool; then one linear classifier).
 * kuangliu's trailing `AvgPool2d(1, 1)` is the identity and is left out (it would only add an
 * AveragePool node), and flattening is `torch.flatten(x, 1)`.
 *
 * | modules | layer | output (3×32×32 input) | params |
 * |---|---|---|---|
 * | features.0–3 | Conv 3→64, BN, ReLU, MaxPool | 64×16×16 | 1,920 |
 * | features.4–7 | Conv 64→128, BN, ReLU, MaxPool | 128×8×8 | 74,112 |
 * | features.8–10 | Conv 128→256, BN, ReLU | 256×8×8 | 295,680 |
 * | features.11–14 | Conv 256→256, BN, ReLU, MaxPool | 256×4×4 | 590,592 |
 * | features.15–17 | Conv 256→512, BN, ReLU | 512×4×4 | 1,181,184 |
 * | features.18–21 | Conv 512→512, BN, ReLU, MaxPool | 512×2×2 | 2,360,832 |
 * | features.22–24 | Conv 512→512, BN, ReLU | 512×2×2 | 2,360,832 |
 * | features.25–28 | Conv 512→512, BN, ReLU, MaxPool | 512×1×1 | 2,360,832 |
 * | classifier | Linear 512→10 | 10 | 5,130 |
 *
 * 9,231,114 parameters (BatchNorm scale and bias included) and 152,769,536 multiply-accumulates
 * per image.
 */
import { defineArchitecture, type ZooEntry } from './define.js';

/** VGG "A": output channels per conv, 'M' for a max-pool. */
const VGG11: readonly (number | 'M')[] = [64, 'M', 128, 'M', 256, 256, 'M', 512, 512, 'M', 512, 512, 'M'];

/** The `vgg11-cifar` zoo entry. */
export const vgg11Cifar: ZooEntry = defineArchitecture({
  name: 'vgg11-cifar',
  description:
    'VGG-11 with BatchNorm for 32x32 CIFAR (kuangliu/pytorch-cifar): 8 conv + 1 linear; 9,231,114 params',
  reference: 'Simonyan, Zisserman 2015, Very Deep Convolutional Networks for Large-Scale Image Recognition',
  inputShape: [3, 32, 32],
  numClasses: 10,
  dataset: 'cifar10',
  body({ t, input, inputShape, numClasses, featuresOf }) {
    let x = input;
    let cin = inputShape[0];
    let i = 0;
    for (const v of VGG11) {
      if (v === 'M') {
        x = t.maxPool2d(`features.${i++}`, x, 2);
        continue;
      }
      x = t.conv2d(`features.${i++}`, x, { cin, cout: v, kernel: 3, padding: 1 });
      x = t.batchNorm2d(`features.${i++}`, x, v);
      x = t.relu(`features.${i++}`, x);
      cin = v;
    }
    x = t.flatten('', x);
    return t.linear('classifier', x, featuresOf(x), numClasses, 'logits');
  },
});
