/**
 * The docker containerizer's public surface: what the agent's composition root wires together.
 */
export { DockerodeApi, DockerEngineError, type DockerApi, type DockerEndpoint } from './docker-api.js';
export { DockerContainerizer, type DockerContainerizerOptions } from './docker-containerizer.js';
export { Labels as DockerLabels } from './labels.js';
