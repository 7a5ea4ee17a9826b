/**
 * Built-in class-name lists, in label order: the classes of the built-in datasets, which a model
 * without recorded names can be given by list name (`--classes cifar10`). They live in core
 * because the datasets (src/data), the model metadata (src/onnx) and the CLI all read them.
 */
import { Registry, type RegistryEntry } from './registry.js';

/** A named list of class names, in label order. */
export interface ClassList extends RegistryEntry {
  readonly classes: readonly string[];
}

/** CIFAR-10's classes in label order (also the alphabetical order of their names). */
export const CIFAR10_CLASSES: readonly string[] = [
  'airplane',
  'automobile',
  'bird',
  'cat',
  'deer',
  'dog',
  'frog',
  'horse',
  'ship',
  'truck',
];

/** Fashion-MNIST's ten classes, in label order. */
export const FASHION_CLASSES: readonly string[] = [
  'T-shirt/top',
  'Trouser',
  'Pullover',
  'Dress',
  'Coat',
  'Sandal',
  'Shirt',
  'Sneaker',
  'Bag',
  'Ankle boot',
];

/** Digit class names '0'..'n-1'. */
export function digitClasses(n: number): string[] {
  return Array.from({ length: n }, (_, i) => String(i));
}

/** Every built-in class list, by name. */
export const CLASS_LISTS = new Registry<ClassList>('class list', [
  {
    name: 'cifar10',
    description: 'CIFAR-10: airplane, automobile, bird, ... truck',
    reference: 'Krizhevsky 2009, Learning multiple layers of features from tiny images',
    classes: CIFAR10_CLASSES,
  },
  {
    name: 'mnist',
    description: "MNIST digits '0' ... '9'",
    reference: 'LeCun et al. 1998, Gradient-based learning applied to document recognition',
    classes: digitClasses(10),
  },
  {
    name: 'fashion-mnist',
    description: 'Fashion-MNIST: T-shirt/top, Trouser, ... Ankle boot',
    reference: 'Xiao, Rasul, Vollgraf 2017, Fashion-MNIST',
    classes: FASHION_CLASSES,
  },
]);
