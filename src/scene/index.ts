export { SceneSchema, type SceneConfig, type SceneInput } from './schema.js';
export { parseScene, loadScene, defaultScene, SceneError } from './load.js';
export { sceneFieldDocs, sceneFormatTable, type SceneFieldDoc } from './doc.js';
