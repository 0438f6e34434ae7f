// The public face of the model package in Node: everything the browser face has (modules and layers, the ViT
// and its configs, losses, safetensors bytes, in-memory datasets, optimisers), plus what needs the file
// system: file loaders of datasets, safetensors and state dicts, and the trainer with its checkpoints and logs.
export * from './browser.js';
export * from './io/index.js';
export * from './data/idx.js';
export * from './data/mnist.js';
export * from './data/fashion-mnist.js';
export * from './train/index.js';
