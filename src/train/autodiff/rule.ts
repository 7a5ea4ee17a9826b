/**
 * The contract of a gradient rule: which inputs of an op carry gradients, how the op runs in
 * training mode, and how to emit the gradients of its inputs from the gradients of its outputs.
 * One module per op family registers rules; `gradRules` is the lookup table.
 */
import { Registry, type RegistryEntry } from '../../core/registry.js';
import type { Node } from '../../onnx/ir.js';
import type { GradContext } from './context.js';

/** Gradient names per input slot; undefined where no gradient flows or none was asked for. */
export type InputGrads = (string | undefined)[];

/** A reverse-mode rule for one ONNX op type (default domain). */
export interface GradRule extends RegistryEntry {
  /** Input slots that gradients flow into (others are treated as constants). */
  differentiable(n: Node): number[];
  /**
   * Emits the node's training-mode computation. Absent: the node is copied unchanged. Rules
   * that need intermediate values in backward save them with `ctx.save`.
   */
  forward?(ctx: GradContext, n: Node): void;
  /**
   * Emits the gradients of the inputs. `dOut[i]` is the gradient of output i (undefined when
   * no gradient reaches it); `needs[j]` says whether input j's gradient is wanted.
   */
  backward(ctx: GradContext, n: Node, dOut: (string | undefined)[], needs: boolean[]): InputGrads;
}

/** Gradient rules by op type. */
export const gradRules = new Registry<GradRule>('differentiable op');

/** Registers rules (each op-family module calls this once at load). */
export function registerRules(...rules: GradRule[]): void {
  for (const r of rules) gradRules.add(r);
}

/** Input 0 only: the differentiable slot set of most unary ops. */
export const firstInput = (): number[] => [0];
