/** The graphs exported by PyTorch under test/fixtures/torch (see make-fixtures.py there). */
import { join } from 'node:path';
import { Rng } from '../../src/core/rng.js';
import { loadModel } from '../../src/onnx/file.js';
import type { Model } from '../../src/onnx/ir.js';
import { REPO } from './paths.js';

/** Folder of the torch-exported fixtures. */
export const TORCH_FIXTURES = join(REPO, 'test/fixtures/torch');

/**
 * A fixture by name. torchvision initializes the ViT classifier to zeros, so every logit of the
 * exported vit.onnx is 0 whatever the encoder computes; tests that compare logits get a
 * classifier with seeded N(0, 0.1²) weights, so the logits carry the encoder's output.
 */
export function torchFixture(name: string): Model {
  const model = loadModel(join(TORCH_FIXTURES, `${name}.onnx`));
  const head = model.graph.initializers.get('heads.head.weight');
  if (head) {
    const rng = Rng.seeded('torch-fixture-classifier');
    const w = head.data as Float32Array;
    for (let i = 0; i < w.length; i++) w[i] = rng.normal() * 0.1;
  }
  return model;
}
