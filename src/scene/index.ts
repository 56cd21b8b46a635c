/** Scenes: the schema, its defaults and validation (portable); reading a scene file is in `./node.ts`. */
export { SceneSchema, type SceneConfig, type SceneInput } from './schema.js';
export { parseScene, defaultScene, SceneError } from './load.js';
export { sceneFieldDocs, sceneFormatTable, type SceneFieldDoc } from './doc.js';
