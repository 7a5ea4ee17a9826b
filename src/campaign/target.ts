/**
 * What a campaign runs on, as its config records it: the model and a fixed image subset, each
 * with the content hash that lets `campaign resume` and `prunefi report` check they are
 * unchanged. The CLI and library users build it the same way, so a database made from code
 * resumes and reports like one made by `prunefi campaign run`.
 */
import { hashBytes, hashJson } from '../core/hash.js';
import { imagesToTensor, labelsOf } from '../data/batch.js';
import { firstPerClass } from '../data/subset.js';
import type { ImageSet } from '../data/types.js';
import type { Model } from '../onnx/ir.js';
import { encodeModel } from '../onnx/proto.js';
import type { CampaignConfig } from './config.js';
import type { ImageInput } from './samples.js';

/** A campaign's model and images, with the references its config stores. */
export interface ImageCampaignTarget {
  /** The first `perClass` images of every class, as the evaluator takes them. */
  input: ImageInput;
  modelRef: CampaignConfig['model'];
  dataRef: CampaignConfig['data'];
}

/**
 * The campaign target of a model and an image set. `modelSpec` and `dataSpec` are how the model
 * and the data are found again (a path, `zoo:<name>`, `mnist`, ...): `campaign resume` and
 * `prunefi report` reload them from there and check the recorded hashes.
 */
export function imageCampaignTarget(o: {
  model: Model;
  modelSpec: string;
  set: ImageSet;
  dataSpec: string;
  perClass: number;
  /** The class names the images were labelled by (recorded so `campaign resume` labels alike). */
  classes?: readonly string[];
}): ImageCampaignTarget {
  const idx = firstPerClass(o.set, o.perClass);
  return {
    input: { x: imagesToTensor(o.set, idx), labels: labelsOf(o.set, idx) },
    modelRef: { spec: o.modelSpec, hash: hashBytes(encodeModel(o.model)) },
    dataRef: {
      spec: o.dataSpec,
      split: o.set.split,
      perClass: o.perClass,
      ...(o.classes ? { classes: [...o.classes] } : {}),
      hash: hashJson([o.set.hash, o.perClass]),
    },
  };
}
