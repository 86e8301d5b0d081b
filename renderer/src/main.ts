import { getBasePath, setBasePath } from '@shoelace-style/shoelace/dist/utilities/base-path.js';
import { registerIconLibrary } from '@shoelace-style/shoelace/dist/utilities/icon-library.js';
import './shoelace.ts';
import './app/ingot-app.ts';

// Icons are copied next to the bundle; nothing is fetched from anywhere else.
setBasePath(new URL('shoelace/', document.baseURI).href.replace(/\/$/, ''));
registerIconLibrary('system', { resolver: (name) => getBasePath(`assets/system/${name}.svg`) });

document.body.append(document.createElement('ingot-app'));
