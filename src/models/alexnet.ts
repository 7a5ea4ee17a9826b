/**
 * AlexNet for 32×32 CIFAR images as in bearpaw/pytorch-classification (the layout of the shared
 * trained model and of torch_baseline.py's AlexNetCifar): Krizhevsky et al.'s five convolutions
 * with a single linear classifier.
 *
 * | module | layer | output (3×32×32 input) | params |
 * |---|---|---|---|
 * | features.0–2 | Conv 3→64, 11×11, stride 4, pad 5; ReLU; MaxPool 2 | 64×4×4 | 23,296 |
 * | features.3–5 | Conv 64→192, 5×5, pad 2; ReLU; MaxPool 2 | 192×2×2 | 307,392 |
 * | features.6–7 | Conv 192→384, 3×3, pad 1; ReLU | 384×2×2 | 663,936 |
 * | features.8–9 | Conv 384→256, 3×3, pad 1; ReLU | 256×2×2 | 884,992 |
 * | features.10–12 | Conv 256→256, 3×3, pad 1; ReLU; MaxPool 2 | 256×1×1 | 590,080 |
 * | classifier | Linear 256→10 | 10 | 2,570 |
 *
 * 2,472,266 parameters and 14,957,056 multiply-accumulates per image.
 */
import { defineArchitecture, type ZooEntry } from './define.js';

/** The `alexnet-cifar` zoo entry. */
export const alexnetCifar: ZooEntry = defineArchitecture({
  name: 'alexnet-cifar',
  description:
    'AlexNet for 32x32 CIFAR (bearpaw/pytorch-classification): 5 conv + 1 linear; 2,472,266 params',
  reference:
    'Krizhevsky, Sutskever, Hinton 2012, ImageNet Classification with Deep Convolutional Neural Networks',
  inputShape: [3, 32, 32],
  numClasses: 10,
  dataset: 'cifar10',
  body({ t, input, inputShape, numClasses, featuresOf }) {
    let x = t.conv2d('features.0', input, {
      cin: inputShape[0],
      cout: 64,
      kernel: 11,
      stride: 4,
      padding: 5,
    });
    x = t.maxPool2d('features.2', t.relu('features.1', x), 2);
    x = t.conv2d('features.3', x, { cin: 64, cout: 192, kernel: 5, padding: 2 });
    x = t.maxPool2d('features.5', t.relu('features.4', x), 2);
    x = t.relu('features.7', t.conv2d('features.6', x, { cin: 192, cout: 384, kernel: 3, padding: 1 }));
    x = t.relu('features.9', t.conv2d('features.8', x, { cin: 384, cout: 256, kernel: 3, padding: 1 }));
    x = t.relu('features.11', t.conv2d('features.10', x, { cin: 256, cout: 256, kernel: 3, padding: 1 }));
    x = t.flatten('', t.maxPool2d('features.12', x, 2));
    return t.linear('classifier', x, featuresOf(x), numClasses, 'logits');
  },
});
