/** Only the Shoelace components the screens use, so the bundle carries no others. */
import '@shoelace-style/shoelace/dist/components/alert/alert.js';
import '@shoelace-style/shoelace/dist/components/badge/badge.js';
import '@shoelace-style/shoelace/dist/components/button/button.js';
import '@shoelace-style/shoelace/dist/components/checkbox/checkbox.js';
import '@shoelace-style/shoelace/dist/components/copy-button/copy-button.js';
import '@shoelace-style/shoelace/dist/components/dialog/dialog.js';
import '@shoelace-style/shoelace/dist/components/icon/icon.js';
import '@shoelace-style/shoelace/dist/components/input/input.js';
import '@shoelace-style/shoelace/dist/components/option/option.js';
import '@shoelace-style/shoelace/dist/components/progress-bar/progress-bar.js';
import '@shoelace-style/shoelace/dist/components/radio/radio.js';
import '@shoelace-style/shoelace/dist/components/radio-group/radio-group.js';
import '@shoelace-style/shoelace/dist/components/select/select.js';
import '@shoelace-style/shoelace/dist/components/spinner/spinner.js';
import '@shoelace-style/shoelace/dist/components/textarea/textarea.js';

/**
 * Shoelace's own controls (checkbox tick, select chevron, close and copy buttons…) draw these. Its
 * built-in "system" library hands them out as data: URLs, which sl-icon fetches and the page's CSP
 * (connect-src) refuses; the build writes them as files instead, and main.ts points the library there.
 */
export const SYSTEM_ICONS = [
  'caret',
  'check',
  'chevron-down',
  'chevron-left',
  'chevron-right',
  'copy',
  'eye',
  'eye-slash',
  'indeterminate',
  'radio',
  'x-lg',
  'x-circle-fill',
] as const;

/** Icons the screens name; the build copies exactly these next to the bundle. */
export const ICONS_USED = [
  'check2-circle',
  'exclamation-octagon',
  'info-circle',
  'shield-check',
  'shield-x',
  'search',
  'pencil',
  'download',
  'arrow-repeat',
  'person-plus',
  'plus-lg',
  'qr-code-scan',
  'hand-thumbs-up',
  'hand-thumbs-down',
  'hourglass-split',
] as const;
