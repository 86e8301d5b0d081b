/** Names of the IPC channels between the main process and the preload script; both import them. */
export const PORT_CHANNEL = 'ingot:port';
export const EVENT_CHANNEL = 'ingot:event';
export const SHELL_CHANNEL = 'ingot:shell';
