/**
 * A small Vision Transformer for 32×32 CIFAR images (Dosovitskiy et al.'s ViT at CIFAR scale, as
 * in the "ViT from scratch on CIFAR-10" recipes): 4×4 patches embedded by a strided Conv, learned
 * position embeddings, six pre-LayerNorm encoder blocks of width 64 with four heads of 16 and an
 * exact-GELU MLP of 128, a final LayerNorm, the mean over tokens, and a linear head. No class
 * token: mean pooling trains as well at this scale and keeps every token alike for pruning.
 *
 * The token stream is kept as [batch·tokens, width], so each `nn.Linear` is a Gemm(transB=1)
 * with PyTorch's [out, in] weight layout (the layout pruning and the fault engine already know);
 * attention reshapes it to [batch, heads, tokens, 16] around its two batched MatMuls.
 *
 * | module | output (3×32×32 input) | params |
 * |---|---|---|
 * | patch_embed (Conv 3→64, 4×4, stride 4), pos_embed [64, 64] | 64 tokens × 64 | 3,136 + 4,096 |
 * | blocks.0–5 (norm1, attn q/k/v/proj, norm2, mlp fc1 64→128, fc2 128→64) | 64 × 64 | 6 × 33,472 |
 * | norm, mean over tokens, head 64→10 | 10 | 128 + 650 |
 *
 * 208,842 parameters. 15,925,888 multiply-accumulates per image, 3,145,728 of them in the
 * attention products q·kᵀ and attn·v (activation × activation).
 */
import { defineArchitecture, type ZooEntry } from './define.js';
import type { TorchEmitter } from './layers.js';

const PATCH = 4;
const WIDTH = 64;
const DEPTH = 6;
const HEADS = 4;
const MLP = 128;

/** Multi-head self-attention over x [batch·tokens, width] at module `path`. */
function attention(t: TorchEmitter, path: string, x: string, tokens: number): string {
  const hd = WIDTH / HEADS;
  // [batch·tokens, width] → [batch, heads, tokens, hd]
  const split = (name: string): string =>
    t.transpose(
      `${path}.${name}`,
      t.reshape(`${path}.${name}`, t.linear(`${path}.${name}`, x, WIDTH, WIDTH), [-1, tokens, HEADS, hd]),
      [0, 2, 1, 3],
    );
  const q = split('query');
  const k = split('key');
  const v = split('value');
  const scores = t.scale(path, t.matmul(path, q, t.transpose(path, k, [0, 1, 3, 2])), 1 / Math.sqrt(hd));
  const ctx = t.matmul(path, t.softmax(path, scores, -1), v);
  const merged = t.reshape(path, t.transpose(path, ctx, [0, 2, 1, 3]), [-1, WIDTH]);
  return t.linear(`${path}.proj`, merged, WIDTH, WIDTH);
}

/** One pre-LN encoder block: x + attn(norm1(x)), then + mlp(norm2(x)). */
function block(t: TorchEmitter, path: string, x: string, tokens: number): string {
  const a = attention(t, `${path}.attn`, t.layerNorm(`${path}.norm1`, x, WIDTH), tokens);
  x = t.add(path, x, a);
  const h = t.gelu(
    `${path}.mlp`,
    t.linear(`${path}.mlp.fc1`, t.layerNorm(`${path}.norm2`, x, WIDTH), WIDTH, MLP),
  );
  return t.add(path, x, t.linear(`${path}.mlp.fc2`, h, MLP, WIDTH));
}

/** The `vit-cifar` zoo entry. */
export const vitCifar: ZooEntry = defineArchitecture({
  name: 'vit-cifar',
  description:
    'Vision Transformer for 32x32 CIFAR: 4x4 patches, 6 pre-LN blocks of width 64, 4 heads, GELU MLP 128, mean pooling; 208,842 params',
  reference:
    'Dosovitskiy et al. 2021, An Image is Worth 16x16 Words: Transformers for Image Recognition at Scale',
  inputShape: [3, 32, 32],
  numClasses: 10,
  dataset: 'cifar10',
  // LayerNormalization is an opset-17 op.
  opset: 17,
  body({ t, input, inputShape, numClasses }) {
    if (inputShape[1] % PATCH !== 0 || inputShape[2] % PATCH !== 0) {
      throw new RangeError(
        `vit-cifar needs image sides divisible by the patch size ${PATCH}, got ${inputShape[1]}x${inputShape[2]}`,
      );
    }
    const tokens = (inputShape[1] / PATCH) * (inputShape[2] / PATCH);
    // Created first so it draws the same stream position as PyTorch's module registers it.
    const pos = t.normalParameter('pos_embed', [tokens, WIDTH], 0.02);
    let x = t.conv2d('patch_embed', input, { cin: inputShape[0], cout: WIDTH, kernel: PATCH, stride: PATCH });
    // [batch, width, h, w] → [batch, tokens, width] + pos → [batch·tokens, width]
    x = t.transpose('', t.reshape('', x, [-1, WIDTH, tokens]), [0, 2, 1]);
    x = t.reshape('', t.add('', x, pos), [-1, WIDTH]);
    for (let i = 0; i < DEPTH; i++) x = block(t, `blocks.${i}`, x, tokens);
    x = t.layerNorm('norm', x, WIDTH);
    x = t.mean('', t.reshape('', x, [-1, tokens, WIDTH]), [1]);
    return t.linear('head', x, WIDTH, numClasses, 'logits');
  },
});
