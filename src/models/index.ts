export { alexnetCifar } from './alexnet.js';
export * from './define.js';
export * from './layers.js';
export { lenet5 } from './lenet5.js';
export { resnet18Cifar } from './resnet.js';
export { vgg11Cifar } from './vgg.js';
export { vitCifar } from './vit.js';
export * from './zoo.js';
