/**
 * Ranger-style activation range restriction as a protection: a Clip after every activation,
 * bounded by what that activation produced on training images. It changes the graph, not the
 * stored words (0 check bits), so the campaign stage profiles and inserts the Clips
 * (`src/campaign/graph-protect.ts`, over `withRanger` in `src/campaign/ranger.ts`).
 */
import type { Protection } from './types.js';

/**
 * Training images Ranger profiles on unless told otherwise: 1000, balanced over the classes.
 * Chen et al. profile on a sample of the training set. On AlexNet-CIFAR 1000 images profile in
 * seconds (all 50 000 took 200 s on the loaded 2-core machine); their bounds are 65–92% of all
 * 50 000's, so they clip tighter, yet cost no clean accuracy on its 1000 test images (README).
 */
export const RANGER_DEFAULT_IMAGES = 1000;

/** The ranger protection. */
export const RANGER: Protection = {
  name: 'ranger',
  description:
    'a Clip after every activation, bounded by its fault-free range on training images (changes the graph, stores no bits)',
  reference:
    'Chen, Li, Pattabiraman et al. 2021, A Low-cost Fault Corrector for Deep Neural Networks through Range Restriction (DSN)',
  stage: 'graph',
  options: {
    images: {
      type: 'int',
      default: RANGER_DEFAULT_IMAGES,
      min: 1,
      max: 1_000_000,
      description: 'training images the bounds are profiled on (balanced over the classes)',
    },
  },
};
