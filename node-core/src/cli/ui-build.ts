import { access } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';

/** Where `npm run build:renderer` puts the UI that the node serves to browsers. */
export const UI_BUILD_DIR = fileURLToPath(new URL('../../../renderer/dist/', import.meta.url));

/** The built UI, when there is one: a node without it still serves its API. */
export async function builtUi(): Promise<{ uiRoot?: string }> {
  try {
    await access(`${UI_BUILD_DIR}index.html`);
    return { uiRoot: UI_BUILD_DIR };
  } catch {
    return {};
  }
}
