/**
 * A classifier's class names, which decide what a dataset's labels mean: prunefi records them in
 * the model's metadata_props (`prunefi.classes`, a JSON array in label order) when it trains a
 * model, and a model without them can be given them (`--classes`). A dataset's class names then
 * map onto the model's by name, so a folder of one class, or of the classes in another order, is
 * labelled as the model means them; without names, the data's classes in their own order are the
 * labels, which is only right when there are as many as the model has outputs.
 */
import { CLASS_LISTS } from '../core/class-names.js';
import { PrunefiError } from '../core/errors.js';
import { logitsOutput } from './io.js';
import type { Model } from './ir.js';

/** The metadata key of a model's class names. */
export const CLASSES_META = 'prunefi.classes';

/** The class names `model` records, or undefined when it records none. */
export function modelClassNames(model: Model): readonly string[] | undefined {
  const raw = model.metadata.get(CLASSES_META);
  if (raw === undefined) return undefined;
  let names: unknown;
  try {
    names = JSON.parse(raw);
  } catch {
    names = undefined;
  }
  if (!Array.isArray(names) || names.length === 0 || !names.every((n) => typeof n === 'string'))
    throw new PrunefiError(
      'ONNX_INVALID',
      `the model's ${CLASSES_META} metadata is not a JSON list of class names (got ${raw.slice(0, 80)}); remove it, or pass the names with --classes`,
    );
  return names as string[];
}

/** Records `names` as `model`'s class names, in label order. */
export function setModelClassNames(model: Model, names: readonly string[]): void {
  model.metadata.set(CLASSES_META, JSON.stringify(names));
}

function listed(names: readonly string[]): string {
  return names.length <= 12 ? names.join(', ') : `${names.slice(0, 12).join(', ')}, ... (${names.length})`;
}

/**
 * The class names a dataset's labels must follow on `model`: `given` (the command line's
 * `--classes`), else the names the model records; undefined when there are none and the dataset
 * has as many classes as the model has outputs (its classes in order are the labels). Refused
 * with a one-line SHAPE_MISMATCH saying what to pass: names that are not one per output, a data
 * class the names lack, and a class count that differs from the outputs when there are no names.
 */
export function labelNames(
  model: Model,
  dataClasses: readonly string[],
  modelName: string,
  dataName: string,
  given?: readonly string[],
): readonly string[] | undefined {
  const out = logitsOutput(model).shape;
  const last = out?.[out.length - 1];
  const outputs = typeof last === 'number' && last > 0 ? last : undefined;
  const names = given ?? modelClassNames(model);
  const source = given ? '--classes' : `model ${modelName}'s recorded names`;
  if (!names) {
    if (outputs === undefined || outputs === dataClasses.length) return undefined;
    const fits = CLASS_LISTS.list().find(
      (l) => l.classes.length === outputs && dataClasses.every((c) => l.classes.includes(c)),
    );
    throw new PrunefiError(
      'SHAPE_MISMATCH',
      `model ${modelName} outputs ${outputs} classes but ${dataName} has ${dataClasses.length} (${listed(dataClasses)}), and the model records no class names to match them by; pass the model's class names in label order with --classes (a,b,c, a file of one name per line, or ${CLASS_LISTS.names().join(', ')})${modelName.startsWith('zoo:') ? `, or build the zoo model with ?classes=${dataClasses.length}` : ''}${fits ? `: they are all ${fits.name} classes, so --classes ${fits.name} if the model was trained on ${fits.name}` : ''}`,
    );
  }
  if (outputs !== undefined && names.length !== outputs)
    throw new PrunefiError(
      'SHAPE_MISMATCH',
      `${given ? '--classes gives' : `model ${modelName} records`} ${names.length} class names but the model outputs ${outputs} classes; pass all ${outputs} names in label order with --classes`,
    );
  const missing = dataClasses.find((c) => !names.includes(c));
  if (missing !== undefined)
    throw new PrunefiError(
      'SHAPE_MISMATCH',
      `class '${missing}' of ${dataName} is not one of the ${names.length} classes of ${source} (${listed(names)}); name each class folder after the class it holds, or pass the model's class names with --classes`,
    );
  return names;
}
