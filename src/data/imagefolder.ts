/**
 * Image folders in torchvision's ImageFolder layout, as folders or tar/tar.gz archives:
 *
 * - `root/<class>/<image>`: one split, called `all`;
 * - `root/<split>/<class>/<image>` where every `<split>` is a usual split name (train, test, val…);
 * - a folder of archives `root/<split>.tar.gz`, each holding either layout (this is how
 *   ../shared/datasets/cifar10-jpeg ships: test.tar.gz holds `test/<class>/NNNN.jpg`).
 *
 * Single wrapper folders (`cifar10/train/...`) are looked through. Classes sorted by name are the
 * label order; images are ordered by class, then by path — the order PyTorch scripts get from
 * sorting archive members, so "the first n images of each class" selects the same files.
 * Images decode to RGB, or to one grey plane when the caller asks for one channel (a model that
 * takes grey input): torchvision's `convert('RGB')` and `convert('L')`.
 */
import { PrunefiError } from '../core/errors.js';
import { IMAGE_EXTENSIONS, isImageName } from './decode.js';
import { decodeImages, type EncodedImage } from './decode-pool.js';
import type { DatasetSource, LoadContext, RawSplit } from './source.js';
import { archiveTree, describe, type FileTree, isArchiveName } from './tree.js';

/** Folder names taken as splits rather than classes. */
export const SPLIT_NAMES: readonly string[] = ['train', 'test', 'val', 'valid', 'validation', 'dev', 'eval'];

/** Name of the split of a layout without split folders. */
export const WHOLE_SPLIT = 'all';

type Layout =
  | { kind: 'images'; images: { path: string; split: string; cls: string }[] }
  | { kind: 'archives'; archives: Map<string, string> };

function analyse(tree: FileTree): Layout | undefined {
  const paths = tree.paths.filter(isImageName);
  if (paths.length === 0) {
    const archives = new Map<string, string>();
    for (const p of tree.paths) {
      if (!p.includes('/') && isArchiveName(p)) archives.set(p.replace(/\.(tar|tar\.gz|tgz)$/i, ''), p);
    }
    return archives.size > 0 ? { kind: 'archives', archives } : undefined;
  }
  const parts = paths.map((p) => p.split('/'));
  let strip = 0;
  const first = parts[0]!;
  while (
    parts.every((p) => p.length >= strip + 3 && p[strip] === first[strip]) &&
    !SPLIT_NAMES.includes(first[strip]!)
  ) {
    strip++;
  }
  const flat = parts.findIndex((p) => p.length < strip + 2);
  if (flat >= 0) {
    throw new PrunefiError(
      'DATA_INVALID',
      `${describe(tree, paths[flat]!)} is not inside a class folder; an image folder must be laid out as <class>/<image> or <split>/<class>/<image>`,
    );
  }
  const split = parts.every((p) => p.length >= strip + 3 && SPLIT_NAMES.includes(p[strip]!));
  const images = parts.map((p, i) => ({
    path: paths[i]!,
    split: split ? p[strip]! : WHOLE_SPLIT,
    cls: p[split ? strip + 1 : strip]!,
  }));
  return { kind: 'images', images };
}

function layoutOf(tree: FileTree): Layout {
  const layout = analyse(tree);
  if (!layout) {
    throw new PrunefiError(
      'DATA_INVALID',
      `${tree.location} holds no images (${IMAGE_EXTENSIONS.join(' ')}) and no <split>.tar[.gz] archives of them; an image folder must be laid out as <class>/<image> or <split>/<class>/<image>`,
    );
  }
  return layout;
}

function splitsOf(layout: Layout): string[] {
  const names =
    layout.kind === 'archives'
      ? [...layout.archives.keys()]
      : [...new Set(layout.images.map((i) => i.split))];
  return names.sort();
}

function unknownSplit(tree: FileTree, split: string, layout: Layout): PrunefiError {
  return new PrunefiError(
    'DATA_NOT_FOUND',
    `${tree.location} has no split '${split}'; its splits are: ${splitsOf(layout).join(', ')}`,
  );
}

async function loadImages(
  tree: FileTree,
  layout: Extract<Layout, { kind: 'images' }>,
  split: string,
  ctx: LoadContext,
): Promise<RawSplit> {
  // Classes over all splits, so that labels agree between train and test.
  const classes = [...new Set(layout.images.map((i) => i.cls))].sort();
  const index = new Map(classes.map((c, i) => [c, i]));
  const chosen = layout.images.filter((i) => i.split === split);
  if (chosen.length === 0) throw unknownSplit(tree, split, layout);
  // Stable sort: tree paths are already sorted, so within a class images stay in path order.
  chosen.sort((a, b) => index.get(a.cls)! - index.get(b.cls)!);
  const items: EncodedImage[] = chosen.map((i) => ({
    name: describe(tree, i.path),
    bytes: tree.read(i.path),
  }));
  const channels = ctx.channels ?? 3;
  const decoded = await decodeImages(items, {
    channels,
    ...(ctx.threads !== undefined ? { threads: ctx.threads } : {}),
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
  });
  return {
    count: chosen.length,
    shape: [channels, decoded.height, decoded.width],
    classes,
    images: decoded.images,
    labels: Uint8Array.from(chosen, (i) => index.get(i.cls)!),
  };
}

async function loadSplit(tree: FileTree, split: string, ctx: LoadContext): Promise<RawSplit> {
  const layout = layoutOf(tree);
  if (layout.kind === 'images') {
    if (new Set(layout.images.map((i) => i.cls)).size > 255) {
      throw new PrunefiError(
        'DATA_INVALID',
        `${tree.location} has more than 255 class folders; prunefi stores labels as bytes`,
      );
    }
    return loadImages(tree, layout, split, ctx);
  }
  const archive = layout.archives.get(split);
  if (archive === undefined) throw unknownSplit(tree, split, layout);
  const inner = archiveTree(tree.read(archive), describe(tree, archive));
  const innerLayout = layoutOf(inner);
  if (innerLayout.kind !== 'images') {
    throw new PrunefiError('DATA_INVALID', `${inner.location} holds archives, not images; unpack it first`);
  }
  const innerSplits = splitsOf(innerLayout);
  const use = innerSplits.includes(split) ? split : innerSplits.length === 1 ? innerSplits[0]! : undefined;
  if (use === undefined) throw unknownSplit(inner, split, innerLayout);
  return loadSplit(inner, use, ctx);
}

/** Image folders and tar/tar.gz archives of them. */
export const imageFolderSource: DatasetSource = {
  name: 'imagefolder',
  description:
    'JPEG/PNG images in class folders (<class>/<image> or <split>/<class>/<image>), as a folder, a .tar/.tar.gz, or a folder of <split>.tar.gz',
  reference: "torchvision.datasets.ImageFolder's layout",
  usage:
    'a folder or .tar/.tar.gz of <class>/<image> or <split>/<class>/<image>, or a folder of <split>.tar.gz',
  convertsChannels: true,
  recognise: (tree) => tree.paths.some((p) => isImageName(p) || (!p.includes('/') && isArchiveName(p))),
  splits: (tree) => splitsOf(layoutOf(tree)),
  inputs: (tree, split) => {
    const layout = layoutOf(tree);
    if (layout.kind === 'archives') {
      const a = layout.archives.get(split);
      if (a === undefined) throw unknownSplit(tree, split, layout);
      return [a];
    }
    return layout.images.filter((i) => i.split === split).map((i) => i.path);
  },
  // Grey folders are most often digits (MNIST's statistics, as the mnist and IDX sources use).
  normalization: (shape) =>
    shape[0] === 1 ? 'mnist' : shape[1] === 32 && shape[2] === 32 ? 'cifar10' : 'imagenet',
  load: loadSplit,
};
