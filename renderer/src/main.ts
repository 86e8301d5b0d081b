import { setBasePath } from '@shoelace-style/shoelace/dist/utilities/base-path.js';
import './shoelace.ts';
import './app/ingot-app.ts';

// Icons are copied next to the bundle; nothing is fetched from anywhere else.
setBasePath(new URL('shoelace/', document.baseURI).href.replace(/\/$/, ''));

document.body.append(document.createElement('ingot-app'));
