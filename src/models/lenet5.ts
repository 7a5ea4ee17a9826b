/**
 * LeNet-5 as most PyTorch tutorials write it for MNIST (LeCun et al. 1998, with ReLU and
 * max-pooling instead of the original scaled tanh and trainable subsampling, and a 2-pixel pad
 * on the first convolution so a 28×28 digit yields the paper's 28×28 C1 maps):
 *
 * | module | layer | output (1×28×28 input) | params |
 * |---|---|---|---|
 * | conv1 | Conv 1→6, 5×5, pad 2; ReLU; MaxPool 2 | 6×14×14 | 156 |
 * | conv2 | Conv 6→16, 5×5; ReLU; MaxPool 2 | 16×5×5 | 2,416 |
 * | fc1 | Linear 400→120; ReLU | 120 | 48,120 |
 * | fc2 | Linear 120→84; ReLU | 84 | 10,164 |
 * | fc3 | Linear 84→10 | 10 | 850 |
 *
 * 61,706 parameters and 416,520 multiply-accumulates per 28×28 image. fc1's input width follows
 * the input shape (3×32×32 gives 16×6×6 = 576).
 */
import { defineArchitecture, type ZooEntry } from './define.js';

/** The `lenet5` zoo entry. */
export const lenet5: ZooEntry = defineArchitecture({
  name: 'lenet5',
  description:
    'LeNet-5 for 28x28 digits: 2 conv (6, 16 filters, 5x5) + 3 linear, ReLU, max-pool; 61,706 params',
  reference: 'LeCun, Bottou, Bengio, Haffner 1998, Gradient-Based Learning Applied to Document Recognition',
  inputShape: [1, 28, 28],
  numClasses: 10,
  dataset: 'mnist',
  body({ t, input, inputShape, numClasses, featuresOf }) {
    let x = t.conv2d('conv1', input, { cin: inputShape[0], cout: 6, kernel: 5, padding: 2 });
    x = t.maxPool2d('', t.relu('', x), 2);
    x = t.conv2d('conv2', x, { cin: 6, cout: 16, kernel: 5 });
    x = t.flatten('', t.maxPool2d('', t.relu('', x), 2));
    x = t.relu('', t.linear('fc1', x, featuresOf(x), 120));
    x = t.relu('', t.linear('fc2', x, 120, 84));
    return t.linear('fc3', x, 84, numClasses, 'logits');
  },
});
