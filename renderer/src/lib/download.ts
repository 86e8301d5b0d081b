/** Hands text to the browser as a file download; nothing leaves the machine. */
export function downloadText(fileName: string, text: string, type = 'application/json'): void {
  const url = URL.createObjectURL(new Blob([text], { type }));
  const link = Object.assign(document.createElement('a'), { href: url, download: fileName });
  document.body.append(link);
  link.click();
  link.remove();
  // The click has started the download by now; the URL is no longer needed.
  setTimeout(() => URL.revokeObjectURL(url), 0);
}
